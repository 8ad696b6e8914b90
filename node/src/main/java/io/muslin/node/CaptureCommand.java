package io.muslin.node;

import io.muslin.dataplane.capture.CapturePoint;
import io.muslin.dataplane.capture.CaptureSettings;
import io.muslin.node.admin.AdminServer;
import io.muslin.node.admin.CaptureFrames;
import io.muslin.node.admin.CaptureRequest;
import io.muslin.node.config.NodeConfig;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code muslin capture [--point P,...] -w FILE|- [-c N] [--duration S] [--snaplen N] [--outer]
 * [--super-packets] [FILTER...]}: captures in the running daemon and writes pcapng to a file or
 * standard output ({@code -w -}, for {@code | tshark -r -}). Ends after {@code -c} packets,
 * {@code --duration}, or on SIGINT/SIGTERM, with the file complete; prints
 * {@code captured N, missed M} on stderr. Exit 0 then; 1 when no daemon answers or the capture
 * cannot start (the daemon's message); 2 for a bad option.
 */
@Command(name = "capture", mixinStandardHelpOptions = true,
    description = "Capture packets inside the running daemon (pcapng, one interface per capture point).")
final class CaptureCommand implements Callable<Integer> {
    @Option(names = "--point", split = ",", paramLabel = "P",
        description = "Capture points: tun-in, wire-out, wire-in, tun-out, drop (default: all but drop).")
    List<String> points = new ArrayList<>();

    @Option(names = "-w", paramLabel = "FILE", required = true,
        description = "Write pcapng to FILE, or to standard output with -.")
    String file;

    @Option(names = "-c", paramLabel = "N", description = "Stop after N packets (default: no limit).")
    long count;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "Stop after this many seconds.")
    double durationSeconds;

    @Option(names = "--snaplen", paramLabel = "N", description = "Bytes kept of each packet, 1-65535 (default: 65535).")
    int snapLength = CaptureSettings.MAX_SNAP_LENGTH;

    @Option(names = "--outer", description = "Apply the filter to the outer packet (wire points), not the inner one.")
    boolean outer;

    @Option(names = "--super-packets",
        description = "Write TSO reads and UDP GRO messages whole, not as the segments and datagrams they stand for.")
    boolean superPackets;

    @Option(names = "--admin-socket", paramLabel = "PATH", description = "The daemon's admin socket.")
    Path socket;

    @Option(names = "--interface", paramLabel = "NAME",
        description = "Use " + AdminServer.DEFAULT_DIR + "/NAME.sock (default: " + NodeConfig.Node.DEFAULT_INTERFACE + ").")
    String interfaceName = NodeConfig.Node.DEFAULT_INTERFACE;

    @Parameters(paramLabel = "FILTER", arity = "0..*", description = "A filter in tcpdump's syntax (pcap-filter(7)).")
    List<String> filter = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        String bad = check();
        if (bad != null) {
            err.println("muslin: " + bad);
            err.flush();
            return RunCommand.EXIT_CONFIG_ERROR;
        }
        Path at = socket != null ? socket : AdminServer.defaultSocket(interfaceName);
        CaptureRequest request = new CaptureRequest(points, String.join(" ", filter), outer, snapLength, count,
            Math.round(durationSeconds * 1000), superPackets);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                ch.connect(UnixDomainSocketAddress.of(at));
            } catch (IOException e) {
                err.println("muslin: no daemon answers at " + at + " (is `muslin run` running?): " + e.getMessage());
                err.flush();
                return 1;
            }
            ByteBuffer line = ByteBuffer.wrap((request.line() + "\n").getBytes(StandardCharsets.UTF_8));
            while (line.hasRemaining()) {
                ch.write(line);
            }
            Runnable stop = () -> {
                try {
                    ch.shutdownOutput(); // the daemon writes what it holds, the summary, and closes
                } catch (IOException e) {
                    // already closed
                }
            };
            for (String signal : new String[] {"INT", "TERM"}) {
                Signal.handle(new Signal(signal), s -> stop.run());
            }
            try (OutputStream out = file.equals("-") ? new FileOutputStream(FileDescriptor.out)
                : Files.newOutputStream(Path.of(file))) {
                return stream(Channels.newInputStream(ch), out, stop, err);
            }
        } catch (IOException e) {
            err.println("muslin: capture: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    /** Copies the pcapng frames to {@code out} until the summary; exit code. */
    private static int stream(InputStream in, OutputStream out, Runnable stop, PrintWriter err) throws IOException {
        boolean outputOpen = true;
        while (true) {
            CaptureFrames.Frame f = CaptureFrames.read(in);
            if (f == null) {
                err.println("muslin: capture: the daemon closed the stream before the end");
                err.flush();
                return 1;
            }
            switch (f.type()) {
                case CaptureFrames.INFO -> {
                    err.println("muslin: " + f.text());
                    err.flush();
                }
                case CaptureFrames.PCAPNG -> {
                    if (outputOpen) {
                        try {
                            out.write(f.payload());
                            out.flush();
                        } catch (IOException e) {
                            outputOpen = false; // the reader went away (tshark -c, head): stop, keep reading the end
                            stop.run();
                        }
                    }
                }
                case CaptureFrames.SUMMARY -> {
                    err.println("muslin: " + f.text());
                    err.flush();
                    return 0;
                }
                case CaptureFrames.ERROR -> {
                    err.println("muslin: capture: " + f.text());
                    err.flush();
                    return 1;
                }
                default -> throw new IOException("capture stream: unknown frame type " + f.type());
            }
        }
    }

    /** What is wrong with the options, or null. */
    private String check() {
        for (String p : points) {
            try {
                CapturePoint.of(p);
            } catch (IllegalArgumentException e) {
                return "--point: " + e.getMessage();
            }
        }
        if (snapLength < 1 || snapLength > CaptureSettings.MAX_SNAP_LENGTH) {
            return "--snaplen: " + snapLength + " is out of range (accepted: 1-" + CaptureSettings.MAX_SNAP_LENGTH + ")";
        }
        if (count < 0) {
            return "-c: " + count + " is negative (accepted: 1 or more)";
        }
        if (durationSeconds < 0 || Double.isNaN(durationSeconds)) {
            return "--duration: " + durationSeconds + " is negative (accepted: more than 0 seconds)";
        }
        if (!interfaceName.matches(NodeConfig.Node.INTERFACE_PATTERN)) {
            return "--interface: \"" + interfaceName + "\" is not a valid interface name";
        }
        return null;
    }
}
