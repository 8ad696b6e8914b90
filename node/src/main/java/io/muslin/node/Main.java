package io.muslin.node;

import io.muslin.node.admin.AdminCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code muslin} command line (main class of {@code muslin.jar}):
 * <pre>
 *   muslin run --config FILE [--subnet-file PATH] [--admin-socket PATH] [--state-dir DIR]
 *   muslin hub --config FILE
 *   muslin routes|neigh|fdb|peers|pmtu|bgp|stats [--admin-socket PATH | --interface NAME]
 *   muslin stats --watch [--count N]
 *   muslin explain DST [--from SRC] [--size N]
 *   muslin capture [--point P,...] -w FILE|- [-c N] [--duration S] [--snaplen N] [--outer] [--super-packets] [FILTER]
 *   muslin ca init --dir DIR [--name CN] [--days N] [--force]
 *   muslin ca issue --dir DIR --name NAME --ip IP... [--dns HOST...] [--hub] [--days N] [--out OUTDIR] [--force]
 * </pre>
 */
@Command(name = "muslin", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "A userspace VXLAN overlay dataplane, wire-compatible with flannel's VXLAN backend.",
    subcommands = {RunCommand.class, HubCommand.class, CaCommand.class, CaptureCommand.class, StatsCommand.class,
        ExplainCommand.class})
public final class Main implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        CommandLine cl = commandLine();
        int code = cl.execute(args);
        if (ranDaemon(cl)) {
            LeakSweep.run();
        }
        System.exit(code);
    }

    /** True when {@code run} or {@code hub} ran: the long-lived commands, swept for leaks at exit. */
    private static boolean ranDaemon(CommandLine cl) {
        CommandLine.ParseResult parsed = cl.getParseResult();
        if (parsed == null || !parsed.hasSubcommand()) {
            return false;
        }
        String name = parsed.subcommand().commandSpec().name();
        return name.equals("run") || name.equals("hub");
    }

    /** The command line with every subcommand; tests call {@code execute} on it in-process. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (AdminCommand c : AdminCommand.values()) {
            if (c == AdminCommand.STATS || c == AdminCommand.EXPLAIN) {
                continue; // commands of their own: StatsCommand (--watch), ExplainCommand (arguments)
            }
            CommandLine sub = new CommandLine(new QueryCommand(c));
            sub.getCommandSpec().usageMessage().description(c.description());
            cl.addSubcommand(c.word(), sub);
        }
        return cl;
    }

    /** Without a subcommand: usage on stderr, exit 2. */
    @Override
    public Integer call() {
        spec.commandLine().getErr().println("muslin: missing command");
        spec.commandLine().usage(spec.commandLine().getErr());
        return RunCommand.EXIT_CONFIG_ERROR;
    }

    /** The version from the jar's manifest, when there is one. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"muslin " + (v == null ? "(development build)" : v)};
        }
    }
}
