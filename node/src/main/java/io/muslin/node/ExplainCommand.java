package io.muslin.node;

import io.muslin.dataplane.packet.Ipv4Address;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code muslin explain DST [--from SRC] [--size N]}: what the running daemon would do with a
 * packet to DST (route, neighbor, FDB, peer, encapsulation, path MTU, or the drop reason), from
 * its own tables. Exit 0; 1 when no daemon answers; 2 for a bad option.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
    description = "Show what the dataplane would do with a packet to DST, through muslin's own tables.")
final class ExplainCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DST", description = "The inner destination (IPv4).")
    String destination;

    @Option(names = "--from", paramLabel = "SRC", description = "The inner source (for packets to this node).")
    String source;

    @Option(names = "--size", paramLabel = "N", description = "The inner packet's size in bytes, to check against the path MTU.")
    Integer size;

    @Mixin
    AdminTarget target;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        for (String[] a : new String[][] {{"DST", destination}, {"--from", source}}) {
            if (a[1] != null) {
                try {
                    Ipv4Address.parse(a[1]);
                } catch (IllegalArgumentException e) {
                    err.println("muslin: " + a[0] + ": " + e.getMessage());
                    err.flush();
                    return RunCommand.EXIT_CONFIG_ERROR;
                }
            }
        }
        if (size != null && (size < 20 || size > 65535)) {
            err.println("muslin: --size: " + size + " is out of range (accepted: 20-65535)");
            err.flush();
            return RunCommand.EXIT_CONFIG_ERROR;
        }
        Path socket = target.socket(err);
        if (socket == null) {
            return RunCommand.EXIT_CONFIG_ERROR;
        }
        String line = "explain " + destination + (source == null ? "" : " from " + source)
            + (size == null ? "" : " size " + size);
        String reply = AdminTarget.ask(socket, line, err);
        if (reply == null) {
            return 1;
        }
        spec.commandLine().getOut().print(reply);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
