package io.muslin.node;

import io.muslin.node.admin.AdminCommand;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code muslin routes|neigh|fdb|peers|pmtu|bgp|stats}: asks the running daemon over its admin socket and
 * prints the reply. Exit 1 with one line when no daemon answers; 2 for a bad option.
 */
@Command(mixinStandardHelpOptions = true)
class QueryCommand implements Callable<Integer> {
    private final AdminCommand command;

    @Mixin
    AdminTarget target;

    @Spec
    CommandSpec spec;

    QueryCommand(AdminCommand command) {
        this.command = command;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Path socket = target.socket(err);
        if (socket == null) {
            return RunCommand.EXIT_CONFIG_ERROR;
        }
        String reply = AdminTarget.ask(socket, command.word(), err);
        if (reply == null) {
            return 1;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(reply);
        out.flush();
        return 0;
    }
}
