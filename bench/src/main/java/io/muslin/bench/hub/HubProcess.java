package io.muslin.bench.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The hub's process, measured from outside: CPU time and RSS from /proc, heap from jcmd. pid 0: not measured. */
final class HubProcess {
    private static final long CLOCK_TICKS = 100; // USER_HZ on Linux
    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    record Sample(double cpuSeconds, long rssKb) {
    }

    private final long pid;

    HubProcess(long pid) {
        this.pid = pid;
    }

    Sample sample() throws IOException {
        if (pid == 0) {
            return new Sample(0, 0);
        }
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return new Sample((double) ticks / CLOCK_TICKS, rss);
    }

    /** Java heap in use after a full GC, in KiB (jcmd GC.run, then GC.heap_info); 0 when not measured. */
    long heapUsedAfterGcKb() throws IOException, InterruptedException {
        if (pid == 0) {
            return 0;
        }
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        Matcher m = USED.matcher(info);
        if (!m.find()) {
            throw new IOException("no \"used NK\" in jcmd GC.heap_info:\n" + info);
        }
        return Long.parseLong(m.group(1));
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
        Path jcmd = java.resolveSibling("jcmd");
        Process p = new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), command)).redirectErrorStream(true)
            .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("jcmd " + pid + " " + command + " failed:\n" + out);
        }
        return out;
    }
}
