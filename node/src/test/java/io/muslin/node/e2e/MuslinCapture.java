package io.muslin.node.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code muslin capture} run against a lab node's daemon: started in the background, known to
 * be capturing once it printed {@code capturing on}, stopped with SIGTERM as Ctrl-C would.
 */
final class MuslinCapture {
    private static final Pattern SUMMARY = Pattern.compile("captured (\\d+), missed (\\d+)");

    final Path file;
    private final Lab.Spawned process;

    private MuslinCapture(Path file, Lab.Spawned process) {
        this.file = file;
        this.process = process;
    }

    /** Starts {@code muslin capture -w <lab dir>/<name>.pcapng ARGS} on node {@code node}; returns once it captures. */
    static MuslinCapture start(Lab lab, int node, String name, String... args) {
        Path file = lab.dir.resolve(name + ".pcapng");
        List<String> cmd = new ArrayList<>(List.of(Lab.MUSLIN.toString(), "capture", "--admin-socket",
            lab.adminSocket(node).toString(), "-w", file.toString()));
        cmd.addAll(Arrays.asList(args));
        Lab.Spawned p = lab.spawn("capture-" + name, null, cmd);
        if (!Lab.waitFor(150, () -> Lab.read(p.stderr()).contains("capturing on") || !p.process().isAlive())) {
            fail("muslin capture did not start:\n" + p.output());
        }
        assertTrue(p.process().isAlive(), () -> "muslin capture exited:\n" + p.output());
        return new MuslinCapture(file, p);
    }

    /** SIGTERM (as Ctrl-C): the file is completed; returns {captured, missed}. */
    long[] stop() {
        process.process().destroy();
        int exit = process.await(Duration.ofSeconds(60));
        assertEquals(0, exit, () -> "muslin capture:\n" + process.output());
        return summary();
    }

    /** Waits for a capture that ends by itself (-c, --duration); returns {captured, missed}. */
    long[] await() {
        int exit = process.await(Duration.ofSeconds(120));
        assertEquals(0, exit, () -> "muslin capture:\n" + process.output());
        return summary();
    }

    private long[] summary() {
        Matcher m = SUMMARY.matcher(Lab.read(process.stderr()));
        if (!m.find()) {
            fail("no summary from muslin capture:\n" + process.output());
        }
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }
}
