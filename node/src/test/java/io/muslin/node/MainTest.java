package io.muslin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.node.admin.AdminServer;
import io.muslin.node.admin.FakeAdminView;
import io.muslin.node.config.ExampleConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI, executed in-process; no dataplane is started. */
class MainTest {
    @TempDir
    Path dir;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    private int execute(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void runWithBadConfigExits2WithOneLineNamingTheField() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, ExampleConfig.mutate("/Backend/VNI", "16777216"));
        Path subnetFile = dir.resolve("subnet.env");
        Path socket = dir.resolve("muslin0.sock");

        int code = execute("run", "--config", bad.toString(), "--subnet-file", subnetFile.toString(),
            "--admin-socket", socket.toString(), "--state-dir", dir.resolve("state").toString());

        assertEquals(2, code);
        assertEquals("muslin: config error: Backend.VNI: 16777216 is out of range (accepted: 0-16777215)\n",
            err.toString());
        assertEquals("", out.toString());
        assertTrue(!Files.exists(subnetFile) && !Files.exists(socket) && !Files.exists(dir.resolve("state")),
            "nothing installed");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 65})
    void runWithBadDataplaneThreadsExits2AndInstallsNothing(int threads) throws Exception {
        Path bad = dir.resolve("bad-threads.json");
        Files.writeString(bad, ExampleConfig.mutate("/Dataplane", "{\"Threads\":" + threads + "}"));
        Path subnetFile = dir.resolve("subnet.env");
        Path socket = dir.resolve("muslin0.sock");

        int code = execute("run", "--config", bad.toString(), "--subnet-file", subnetFile.toString(),
            "--admin-socket", socket.toString(), "--state-dir", dir.resolve("state").toString());

        assertEquals(2, code);
        assertEquals("muslin: config error: Dataplane.Threads: " + threads + " is out of range (accepted: 1-64)\n",
            err.toString());
        assertTrue(!Files.exists(subnetFile) && !Files.exists(socket) && !Files.exists(dir.resolve("state")),
            "nothing installed");
    }

    @Test
    void runWithMissingConfigFileExits2() {
        Path absent = dir.resolve("absent.json");
        assertEquals(2, execute("run", "--config", absent.toString()));
        assertEquals("muslin: config error: cannot read " + absent + ": no such file\n", err.toString());
    }

    @Test
    void runWithoutConfigOptionIsAUsageError() {
        assertEquals(2, execute("run"));
        assertTrue(err.toString().contains("--config"), err.toString());
    }

    @Test
    void queryPrintsTheDaemonsReply() throws Exception {
        Path socket = dir.resolve("muslin0.sock");
        AdminServer server = AdminServer.start(socket, new FakeAdminView());
        try {
            assertEquals(0, execute("stats", "--admin-socket", socket.toString()));
        } finally {
            server.close();
        }
        assertTrue(out.toString().startsWith("backend vxlan\ncontrol static\ndevice muslin0\nvni 1\nmtu 1450\npeers 0\ntunRxPackets 0\n"), out.toString());
        assertEquals("", err.toString());
    }

    @Test
    void queryExits1WhenNoDaemonRuns() {
        Path socket = dir.resolve("absent.sock");
        assertEquals(1, execute("routes", "--admin-socket", socket.toString()));
        assertTrue(err.toString().startsWith("muslin: no daemon answers at " + socket + " (is `muslin run` running?)"),
            err.toString());
        assertEquals(1, err.toString().lines().count());
    }

    @Test
    void queryOptionsAreExclusive() {
        assertEquals(2, execute("fdb", "--admin-socket", "/x.sock", "--interface", "muslin0"));
        assertTrue(err.toString().contains("mutually exclusive"), err.toString());
    }

    @Test
    void queryRejectsABadInterfaceName() {
        assertEquals(2, execute("neigh", "--interface", "../etc"));
        assertTrue(err.toString().startsWith("muslin: --interface: \"../etc\" is not a valid interface name"),
            err.toString());
    }

    @Test
    void noCommandPrintsUsage() {
        assertEquals(2, execute());
        assertTrue(err.toString().contains("routes") && err.toString().contains("run"), err.toString());
    }
}
