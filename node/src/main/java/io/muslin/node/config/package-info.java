/**
 * The node's configuration: flannel's net-conf fields plus this node's lease and static peers,
 * one record per JSON section ({@link io.muslin.node.config.NodeConfig}), loaded and validated
 * at start by {@link io.muslin.node.config.ConfigLoader}. The field reference is in the
 * module's README.
 */
package io.muslin.node.config;
