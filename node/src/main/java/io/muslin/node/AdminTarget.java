package io.muslin.node;

import io.muslin.node.admin.AdminClient;
import io.muslin.node.admin.AdminServer;
import io.muslin.node.config.NodeConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** The {@code --admin-socket PATH | --interface NAME} options of the commands that ask a running daemon. */
final class AdminTarget {
    @ArgGroup(exclusive = true)
    Target target;

    /** Either an explicit socket or the interface whose default socket to use. */
    static final class Target {
        @Option(names = "--admin-socket", paramLabel = "PATH", description = "The daemon's admin socket.")
        Path socket;

        @Option(names = "--interface", paramLabel = "NAME",
            description = "Use " + AdminServer.DEFAULT_DIR + "/NAME.sock (default: " + NodeConfig.Node.DEFAULT_INTERFACE + ").")
        String interfaceName;
    }

    /** The socket to ask, or null after printing why the options are wrong. */
    Path socket(PrintWriter err) {
        if (target != null && target.socket != null) {
            return target.socket;
        }
        String name = target != null ? target.interfaceName : NodeConfig.Node.DEFAULT_INTERFACE;
        if (!name.matches(NodeConfig.Node.INTERFACE_PATTERN)) {
            err.println("muslin: --interface: \"" + name + "\" is not a valid interface name (accepted: 1-"
                + NodeConfig.Node.MAX_INTERFACE_LEN + " characters from A-Z a-z 0-9 _ . -)");
            err.flush();
            return null;
        }
        return AdminServer.defaultSocket(name);
    }

    /** Sends {@code line}; the reply, or null after printing why there is none (no daemon, an error line). */
    static String ask(Path socket, String line, PrintWriter err) {
        String reply;
        try {
            reply = AdminClient.request(socket, line);
        } catch (IOException e) {
            err.println("muslin: no daemon answers at " + socket + " (is `muslin run` running?): " + e.getMessage());
            err.flush();
            return null;
        }
        if (reply.startsWith("error: ")) {
            err.print("muslin: " + reply);
            err.flush();
            return null;
        }
        return reply;
    }
}
