package io.muslin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.dataplane.packet.Ipv4Prefix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubnetEnvTest {
    private static final Ipv4Prefix NETWORK = Ipv4Prefix.parse("10.244.0.0/16");
    private static final Ipv4Prefix SUBNET = Ipv4Prefix.parse("10.244.1.0/24");

    @Test
    void rendersFlannelsFormat() {
        assertEquals("""
            FLANNEL_NETWORK=10.244.0.0/16
            FLANNEL_SUBNET=10.244.1.1/24
            FLANNEL_MTU=1450
            FLANNEL_IPMASQ=false
            """, SubnetEnv.render(NETWORK, SUBNET, 1450, false));
    }

    @Test
    void subnetIsTheFirstUsableAddressWithTheSubnetLength() {
        String env = SubnetEnv.render(Ipv4Prefix.parse("10.0.0.0/8"), Ipv4Prefix.parse("10.1.16.0/20"), 8950, false);
        assertTrue(env.contains("FLANNEL_SUBNET=10.1.16.1/20\n"), env);
    }

    @Test
    void writesAtomicallyAndRemoves(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run/muslin/subnet.env");
        SubnetEnv env = new SubnetEnv(file);
        env.write(NETWORK, SUBNET, 1450, false);
        assertEquals(SubnetEnv.render(NETWORK, SUBNET, 1450, false), Files.readString(file));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        env.write(NETWORK, SUBNET, 1400, true);
        assertTrue(Files.readString(file).contains("FLANNEL_MTU=1400\n"));
        assertTrue(Files.readString(file).contains("FLANNEL_IPMASQ=true\n"));
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "no temporary files left");
        }

        assertTrue(env.remove());
        assertFalse(Files.exists(file));
        assertFalse(env.remove());
    }

    @Test
    void dualStackAddsFlannelsIpv6LinesAfterTheIpv4Ones() {
        assertEquals("""
            FLANNEL_NETWORK=10.244.0.0/16
            FLANNEL_SUBNET=10.244.1.1/24
            FLANNEL_IPV6_NETWORK=fd00:10:244::/56
            FLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64
            FLANNEL_MTU=1430
            FLANNEL_IPMASQ=false
            """, SubnetEnv.render(NETWORK, SUBNET, io.muslin.dataplane.packet.Ipv6Prefix.parse("fd00:10:244::/56"),
            io.muslin.dataplane.packet.Ipv6Prefix.parse("fd00:10:244:1::/64"), 1430, false));
    }
}
