package io.muslin.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.tun.linux.Interfaces;
import io.muslin.tun.linux.LinuxException;
import org.junit.jupiter.api.Test;

/**
 * Refusals that need no privileges. Creating real devices, addresses and routes is exercised
 * end to end, inside network namespaces, by the node module's integration tests.
 */
class TunDeviceTest {

    @Test
    void refusesANameThatAlreadyExists() {
        LinuxException e = assertThrows(LinuxException.class, () -> TunDevice.create("lo"));
        assertEquals(17, e.errno());
        assertTrue(e.getMessage().contains("lo") && e.getMessage().contains("already exists"), e.getMessage());
    }

    @Test
    void refusesNamesTheKernelCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> TunDevice.create("a-name-of-16-chr"));
        assertThrows(IllegalArgumentException.class, () -> TunDevice.create(""));
    }

    @Test
    void loopbackIsThereAndHasAnMtu() throws LinuxException {
        assertTrue(Interfaces.index("lo") > 0);
        assertTrue(Interfaces.mtu("lo") >= 1280);
        assertEquals(0, Interfaces.index("no-such-dev0"));
    }
}
