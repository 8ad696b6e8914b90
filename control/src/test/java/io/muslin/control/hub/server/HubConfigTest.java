package io.muslin.control.hub.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.muslin.control.json.JsonFieldException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HubConfigTest {
    private static final String NET = "\"NetworkConfig\": {\"Network\": \"10.244.0.0/16\", \"SubnetLen\": 24}";

    @Test
    void anInsecureEmbeddedHub() {
        HubConfig c = HubConfig.parse("{\"Listen\": \"127.0.0.1:9000\", \"Insecure\": true, "
            + "\"Store\": {\"Type\": \"embedded\", \"Dir\": \"/tmp/hub\"}, " + NET + ", \"Heartbeat\": 3}");
        assertEquals(9000, c.listen().getPort());
        assertTrue(c.insecure());
        assertEquals(Path.of("/tmp/hub"), c.storeDir());
        assertEquals(Duration.ofSeconds(3), c.heartbeat());
        assertTrue(c.networkConfig().orElseThrow().contains("10.244.0.0/16"));
    }

    @Test
    void theEmbeddedStoreNeedsAValidNetworkConfig() {
        JsonFieldException missing = assertThrows(JsonFieldException.class,
            () -> HubConfig.parse("{\"Insecure\": true}"));
        assertTrue(missing.getMessage().startsWith("NetworkConfig: missing (expected: flannel's net-conf.json"),
            missing.getMessage());
        JsonFieldException bad = assertThrows(JsonFieldException.class,
            () -> HubConfig.parse("{\"Insecure\": true, \"NetworkConfig\": {\"Network\": \"10.244.0.0/16\", \"SubnetLen\": 8}}"));
        assertEquals("NetworkConfig.SubnetLen: 8 does not fit Network 10.244.0.0/16 (accepted: 17-30)", bad.getMessage());
        JsonFieldException noNetwork = assertThrows(JsonFieldException.class,
            () -> HubConfig.parse("{\"Insecure\": true, \"NetworkConfig\": {\"SubnetLen\": 24}}"));
        assertEquals("NetworkConfig.Network: missing or not a string (expected: an IPv4 prefix such as 10.244.0.0/16)",
            noNetwork.getMessage());
    }

    @Test
    void tlsFilesOrInsecureNotBothAndHeartbeatInRange() {
        assertEquals("CAFile: given with Insecure true (accepted: TLS files, or Insecure true, not both)",
            assertThrows(JsonFieldException.class, () -> HubConfig.parse("{\"Insecure\": true, \"CAFile\": \"/ca\", " + NET + "}"))
                .getMessage());
        assertTrue(assertThrows(JsonFieldException.class, () -> HubConfig.parse("{" + NET + "}")).getMessage()
            .startsWith("CAFile: missing"));
        assertTrue(assertThrows(JsonFieldException.class,
            () -> HubConfig.parse("{\"Insecure\": true, " + NET + ", \"Heartbeat\": 0}")).getMessage().startsWith("Heartbeat:"));
    }
}
