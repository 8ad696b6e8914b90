/**
 * What a node keeps on disk between runs (its generated VTEP MAC), and the atomic
 * temp-file-and-rename writes every such file uses.
 */
package io.muslin.node.state;
