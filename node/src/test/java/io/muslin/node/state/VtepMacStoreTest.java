package io.muslin.node.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.MacAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VtepMacStoreTest {
    @TempDir
    Path dir;

    @Test
    void generatesOnceAndReusesAcrossRestarts() throws IOException {
        Path stateDir = dir.resolve("var/lib/muslin"); // created on first use
        long first = new VtepMacStore(stateDir).loadOrCreate("muslin0");
        long second = new VtepMacStore(stateDir).loadOrCreate("muslin0");

        assertEquals(first, second, "a restarted node keeps its MAC (flannel #1795)");
        assertFalse(MacAddress.isMulticast(first));
        assertEquals(0x02L, (first >>> 40) & 0x02L, "locally administered");
        assertEquals(MacAddress.format(first) + "\n", Files.readString(stateDir.resolve("muslin0.mac")));
        assertEquals(List.of(stateDir.resolve("muslin0.mac")), list(stateDir), "no temporary files left");
    }

    @Test
    void oneFilePerInterface() throws IOException {
        VtepMacStore store = new VtepMacStore(dir);
        long a = store.loadOrCreate("muslin0");
        long b = store.loadOrCreate("muslin1");
        assertNotEquals(a, b);
        assertEquals(a, store.loadOrCreate("muslin0"));
    }

    @Test
    void readsAnExistingFile() throws IOException {
        Files.writeString(dir.resolve("muslin0.mac"), "  6e:75:73:00:00:01 \n");
        assertEquals(MacAddress.parse("6e:75:73:00:00:01"), new VtepMacStore(dir).loadOrCreate("muslin0"));
    }

    @Test
    void corruptFileIsAnErrorNamingTheFile() throws IOException {
        Path file = dir.resolve("muslin0.mac");
        Files.writeString(file, "zz\n");
        IOException e = assertThrows(IOException.class, () -> new VtepMacStore(dir).loadOrCreate("muslin0"));
        assertTrue(e.getMessage().startsWith("corrupt VTEP MAC file " + file + ": not a MAC address: \"zz\""),
            e.getMessage());
        assertEquals("zz\n", Files.readString(file), "never silently replaced");
    }

    @Test
    void multicastMacInFileIsCorrupt() throws IOException {
        Files.writeString(dir.resolve("muslin0.mac"), "01:00:5e:00:00:01\n");
        IOException e = assertThrows(IOException.class, () -> new VtepMacStore(dir).loadOrCreate("muslin0"));
        assertTrue(e.getMessage().contains("not a unicast MAC address"), e.getMessage());
    }

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        }
    }
}
