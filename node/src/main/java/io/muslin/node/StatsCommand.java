package io.muslin.node;

import io.muslin.dataplane.path.Counter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code muslin stats [--watch [--count N]]}: the daemon's counters; with {@code --watch}, one line
 * of rates a second (packets/s and Gb/s at each point, drops/s by reason) until interrupted.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
    description = "Show the backend, where peers come from, device, VNI, MTU, peer count and packet counters"
        + " (--watch: rates each second).")
final class StatsCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    /** The columns of a watch line: point, packets counter, bytes counter. */
    private static final String[][] POINTS = {
        {"tun-in", Counter.TUN_RX_PACKETS.label(), Counter.TUN_RX_BYTES.label()},
        {"wire-out", Counter.TX_PACKETS.label(), Counter.TX_BYTES.label()},
        {"wire-in", Counter.RX_PACKETS.label(), Counter.RX_BYTES.label()},
        {"tun-out", Counter.TUN_TX_PACKETS.label(), Counter.TUN_TX_BYTES.label()},
    };

    @Option(names = "--watch", description = "Print rates every second: packets/s, Gb/s, drops/s by reason.")
    boolean watch;

    @Option(names = "--count", paramLabel = "N", description = "With --watch: stop after N lines (default: until interrupted).")
    int count;

    @Mixin
    AdminTarget target;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        Path socket = target.socket(err);
        if (socket == null) {
            return RunCommand.EXIT_CONFIG_ERROR;
        }
        String reply = AdminTarget.ask(socket, "stats", err);
        if (reply == null) {
            return 1;
        }
        if (!watch) {
            out.print(reply);
            out.flush();
            return 0;
        }
        Map<String, Long> before = parse(reply);
        long then = System.nanoTime();
        for (int line = 0; count <= 0 || line < count; line++) {
            TimeUnit.MILLISECONDS.sleep(1000 - TimeUnit.NANOSECONDS.toMillis((System.nanoTime() - then) % 1_000_000_000L));
            reply = AdminTarget.ask(socket, "stats", err);
            if (reply == null) {
                return 1;
            }
            long now = System.nanoTime();
            Map<String, Long> after = parse(reply);
            out.println(rates(before, after, (now - then) / 1e9));
            out.flush();
            before = after;
            then = now;
        }
        return 0;
    }

    /** One watch line: {@code 12:00:01 tun-in 8.1k pkt/s 3.52 Gb/s | ... | drops/s dropNoRoute 2}. */
    static String rates(Map<String, Long> before, Map<String, Long> after, double seconds) {
        StringBuilder sb = new StringBuilder(LocalTime.now().format(TIME));
        for (String[] p : POINTS) {
            double packets = delta(before, after, p[1]) / seconds;
            double gbps = delta(before, after, p[2]) * 8 / seconds / 1e9;
            sb.append(String.format("  %s %s pkt/s %.2f Gb/s", p[0], human(packets), gbps));
        }
        sb.append("  drops/s");
        int reasons = 0;
        for (Counter c : Counter.values()) {
            long d = delta(before, after, c.label());
            if (c.isDrop() && d > 0) {
                sb.append(' ').append(c.label()).append(' ').append(String.format("%.0f", d / seconds));
                reasons++;
            }
        }
        if (reasons == 0) {
            sb.append(" 0");
        }
        return sb.toString();
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String name) {
        return after.getOrDefault(name, 0L) - before.getOrDefault(name, 0L);
    }

    private static String human(double v) {
        if (v >= 1e6) {
            return String.format("%.1fM", v / 1e6);
        }
        if (v >= 1e3) {
            return String.format("%.1fk", v / 1e3);
        }
        return String.format("%.0f", v);
    }

    /** The "name number" lines of a stats reply. */
    static Map<String, Long> parse(String reply) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String l : reply.split("\n")) {
            String[] f = l.split(" ");
            if (f.length == 2 && f[1].matches("-?\\d+")) {
                m.put(f[0], Long.parseLong(f[1]));
            }
        }
        return m;
    }
}
