package io.muslin.node;

import io.muslin.control.tls.CertificateSpec;
import io.muslin.control.tls.CertifiedKey;
import io.muslin.control.tls.ClusterCa;
import io.muslin.dataplane.packet.Ipv4Address;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code muslin ca init|issue}: makes the cluster CA and the certificates of hubs and nodes
 * (what they hold: {@link io.muslin.control.tls}).
 *
 * <p>Exit codes: 0 when written (one line per file on stdout); 1 when a file could not be read
 * or written, or exists and {@code --force} is not given; 2 for a bad option (one line
 * {@code muslin: --ip: <message>}, nothing written).
 */
@Command(name = "ca", mixinStandardHelpOptions = true,
    description = "Make the cluster CA and the certificates of hubs and nodes.",
    subcommands = {CaCommand.Init.class, CaCommand.Issue.class})
final class CaCommand implements Callable<Integer> {
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = RunCommand.EXIT_CONFIG_ERROR;

    @Spec
    CommandSpec spec;

    /** Without a subcommand: usage on stderr, exit 2. */
    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("muslin ca: missing command (init or issue)");
        spec.commandLine().usage(err);
        return EXIT_USAGE;
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
        description = "Make a new cluster CA: DIR/ca.crt (what hubs and nodes trust) and DIR/ca.key (mode 0600).")
    static final class Init implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "DIR",
            description = "Where to write ca.crt and ca.key (made, mode 0700, if missing).")
        Path dir;

        @Option(names = "--name", paramLabel = "CN", defaultValue = ClusterCa.DEFAULT_NAME,
            description = "The CA's common name (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(names = "--days", paramLabel = "N", defaultValue = "" + ClusterCa.DEFAULT_DAYS,
            description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--force", description = "Replace an existing ca.crt and ca.key (certificates it issued stop verifying).")
        boolean force;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Cli cli = new Cli(spec);
            if (!cli.check("--name", name, ClusterCa::checkName) || !cli.check("--days", days, CertificateSpec::checkDays)) {
                return EXIT_USAGE;
            }
            ClusterCa ca = ClusterCa.create(name, days);
            try {
                ca.write(dir, force);
            } catch (IOException e) {
                return cli.failed(e);
            }
            cli.wrote(dir.resolve(ClusterCa.CERT_FILE), "CA \"" + name + "\"", ca.certificate());
            cli.wrote(dir.resolve(ClusterCa.KEY_FILE), "mode 0600; keep it where certificates are made, not on nodes");
            return 0;
        }
    }

    @Command(name = "issue", mixinStandardHelpOptions = true,
        description = "Issue a node's certificate (or, with --hub, a hub's): OUTDIR/NAME.crt and OUTDIR/NAME.key (mode 0600).")
    static final class Issue implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The CA's directory (ca.crt, ca.key).")
        Path dir;

        @Option(names = "--name", required = true, paramLabel = "NAME",
            description = "The node's (or hub's) name, the certificate's CN: 1-64 characters from A-Z a-z 0-9 . _ -")
        String name;

        @Option(names = "--ip", paramLabel = "IP",
            description = "An IPv4 address: the node's PublicIP (its leases may carry only these), or one nodes dial"
                + " the hub at. Repeatable; a node needs one.")
        List<String> ips;

        @Option(names = "--dns", paramLabel = "HOST", description = "A DNS name nodes dial the hub at. Repeatable.")
        List<String> dnsNames;

        @Option(names = "--hub", description = "A hub's certificate (TLS server and client) instead of a node's (client).")
        boolean hub;

        @Option(names = "--days", paramLabel = "N", defaultValue = "" + CertificateSpec.DEFAULT_DAYS,
            description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--out", paramLabel = "OUTDIR", description = "Where to write NAME.crt and NAME.key (default: DIR).")
        Path out;

        @Option(names = "--force", description = "Replace existing NAME.crt and NAME.key.")
        boolean force;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Cli cli = new Cli(spec);
            List<Integer> addresses = new ArrayList<>();
            List<String> names = dnsNames == null ? List.of() : dnsNames;
            boolean ok = cli.check("--name", name, CertificateSpec::checkName);
            for (String ip : ips == null ? List.<String>of() : ips) {
                ok = ok && cli.check("--ip", ip, a -> addresses.add(Ipv4Address.parse(a)));
            }
            for (String dns : names) {
                ok = ok && cli.check("--dns", dns, CertificateSpec::checkDnsName);
            }
            ok = ok && cli.check("--days", days, CertificateSpec::checkDays);
            if (ok && !hub && addresses.isEmpty()) {
                ok = cli.usage("--ip", "missing (expected: the node's PublicIP, a.b.c.d; repeat --ip for more)");
            }
            if (ok && hub && addresses.isEmpty() && names.isEmpty()) {
                ok = cli.usage("--ip, --dns", "missing (expected: the addresses or names nodes dial the hub at)");
            }
            if (!ok) {
                return EXIT_USAGE;
            }
            CertificateSpec certSpec = new CertificateSpec(hub ? CertificateSpec.Role.HUB : CertificateSpec.Role.NODE,
                name, addresses, names, days);
            Path outDir = out != null ? out : dir;
            Path certFile = outDir.resolve(name + ".crt");
            Path keyFile = outDir.resolve(name + ".key");
            CertifiedKey issued;
            try {
                issued = ClusterCa.load(dir).issue(certSpec);
                if (!Files.isDirectory(outDir)) {
                    Files.createDirectories(outDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                }
                issued.write(certFile, keyFile, force);
            } catch (IOException e) {
                return cli.failed(e);
            }
            cli.wrote(certFile, certSpec.toString(), issued.certificate());
            cli.wrote(keyFile, "mode 0600");
            return 0;
        }
    }

    /** Output and errors of a {@code ca} command. */
    private record Cli(PrintWriter out, PrintWriter err) {
        Cli(CommandSpec spec) {
            this(spec.commandLine().getOut(), spec.commandLine().getErr());
        }

        /** Runs {@code check} on an option's value; on an error prints one line naming the option. */
        <T> boolean check(String option, T value, Function<T, ?> check) {
            try {
                check.apply(value);
                return true;
            } catch (IllegalArgumentException e) {
                return usage(option, e.getMessage());
            }
        }

        boolean usage(String option, String message) {
            err.println("muslin: " + option + ": " + message);
            err.flush();
            return false;
        }

        int failed(IOException e) {
            err.println("muslin: " + (e instanceof FileAlreadyExistsException x
                ? x.getFile() + " exists (--force replaces it)" : e.getMessage()));
            err.flush();
            return EXIT_FAILED;
        }

        void wrote(Path file, String what, X509Certificate cert) {
            wrote(file, what + ", valid until " + cert.getNotAfter().toInstant().atOffset(ZoneOffset.UTC).toLocalDate() + " UTC");
        }

        void wrote(Path file, String what) {
            out.println("wrote " + file + " (" + what + ")");
            out.flush();
        }
    }
}
