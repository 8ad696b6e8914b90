package io.muslin.node;

import io.muslin.node.admin.AdminClient;
import io.muslin.node.admin.AdminCommand;
import io.muslin.node.admin.AdminServer;
import io.muslin.node.config.NodeConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code muslin routes|neigh|fdb|peers|pmtu|bgp|stats}: asks the running daemon over its admin socket and
 * prints the reply. Exit 1 with one line when no daemon answers; 2 for a bad option.
 */
@Command(mixinStandardHelpOptions = true)
final class QueryCommand implements Callable<Integer> {
    private final AdminCommand command;

    @ArgGroup(exclusive = true)
    Target target;

    @Spec
    CommandSpec spec;

    QueryCommand(AdminCommand command) {
        this.command = command;
    }

    /** Either an explicit socket or the interface whose default socket to use. */
    static final class Target {
        @Option(names = "--admin-socket", paramLabel = "PATH", description = "The daemon's admin socket.")
        Path socket;

        @Option(names = "--interface", paramLabel = "NAME",
            description = "Use " + AdminServer.DEFAULT_DIR + "/NAME.sock (default: " + NodeConfig.Node.DEFAULT_INTERFACE + ").")
        String interfaceName;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path socket;
        if (target != null && target.socket != null) {
            socket = target.socket;
        } else {
            String name = target != null ? target.interfaceName : NodeConfig.Node.DEFAULT_INTERFACE;
            if (!name.matches(NodeConfig.Node.INTERFACE_PATTERN)) {
                err.println("muslin: --interface: \"" + name + "\" is not a valid interface name (accepted: 1-"
                    + NodeConfig.Node.MAX_INTERFACE_LEN + " characters from A-Z a-z 0-9 _ . -)");
                err.flush();
                return RunCommand.EXIT_CONFIG_ERROR;
            }
            socket = AdminServer.defaultSocket(name);
        }
        String reply;
        try {
            reply = AdminClient.request(socket, command.word());
        } catch (IOException e) {
            err.println("muslin: no daemon answers at " + socket + " (is `muslin run` running?): " + e.getMessage());
            err.flush();
            return 1;
        }
        if (reply.startsWith("error: ")) {
            err.print("muslin: " + reply);
            err.flush();
            return 1;
        }
        out.print(reply);
        out.flush();
        return 0;
    }
}
