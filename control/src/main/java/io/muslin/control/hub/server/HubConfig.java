package io.muslin.control.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.muslin.control.hub.client.HubEndpoint;
import io.muslin.control.json.JsonFieldException;
import io.muslin.control.json.JsonFields;
import io.muslin.control.lease.LeaseJson;
import io.muslin.control.lease.NetworkConfig;
import io.muslin.control.store.EtcdStoreConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The hub's configuration file ({@code muslin hub --config FILE}):
 * <pre>
 * {
 *   "Listen": "0.0.0.0:8473",
 *   "CAFile": "/etc/muslin/pki/ca.crt", "CertFile": "/etc/muslin/pki/hub1.crt", "KeyFile": "/etc/muslin/pki/hub1.key",
 *   "Store": {"Type": "embedded", "Dir": "/var/lib/muslin/hub"},
 *   "NetworkConfig": {"Network": "10.244.0.0/16", "SubnetLen": 24, "Backend": {"Type": "vxlan"}},
 *   "Heartbeat": 10
 * }
 * </pre>
 * {@code "Insecure": true} replaces the three TLS files (plaintext, no authentication: for
 * labs only). {@code Store} may instead be {@code {"Type": "etcd", "Endpoints": [...], "Prefix":
 * ..., "CAFile", "CertFile", "KeyFile"}}; several hubs on one etcd serve the same leases.
 *
 * @param listen        address and port to listen on
 * @param caFile        the cluster CA (TLS), or null when insecure
 * @param certFile      the hub's certificate (TLS), or null
 * @param keyFile       the hub's key (TLS), or null
 * @param insecure      plaintext
 * @param storeDir      the embedded store's directory, or null with etcd
 * @param etcd          the etcd store, or empty with the embedded one
 * @param networkConfig flannel's net-conf.json served to nodes (embedded store; etcd has its own)
 * @param heartbeat     quiet interval after which a Ping is sent
 */
public record HubConfig(InetSocketAddress listen, Path caFile, Path certFile, Path keyFile, boolean insecure,
                        Path storeDir, Optional<EtcdStoreConfig> etcd, Optional<String> networkConfig,
                        Duration heartbeat) {
    static final String LISTEN = "Listen";
    static final String CA_FILE = "CAFile";
    static final String CERT_FILE = "CertFile";
    static final String KEY_FILE = "KeyFile";
    static final String INSECURE = "Insecure";
    static final String STORE = "Store";
    static final String NETWORK_CONFIG = "NetworkConfig";
    static final String HEARTBEAT = "Heartbeat";
    static final String TYPE = "Type";
    static final String DIR = "Dir";
    static final String ENDPOINTS = "Endpoints";
    static final String PREFIX = "Prefix";
    public static final String EMBEDDED = "embedded";
    public static final String ETCD = "etcd";
    public static final Path DEFAULT_STORE_DIR = Path.of("/var/lib/muslin/hub");

    /** Reads and validates {@code file}; errors name the field and what is accepted. */
    public static HubConfig load(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        return parse(text);
    }

    public static HubConfig parse(String json) {
        JsonFields root = JsonFields.of(LeaseJson.readTree(json), "", LISTEN, CA_FILE, CERT_FILE, KEY_FILE, INSECURE,
            STORE, NETWORK_CONFIG, HEARTBEAT);
        InetSocketAddress listen = root.optional(LISTEN, new InetSocketAddress(HubEndpoint.DEFAULT_PORT),
            "address:port such as 0.0.0.0:" + HubEndpoint.DEFAULT_PORT, HubConfig::listenAddress);
        boolean insecure = root.optionalBoolean(INSECURE, false);
        Path ca = path(root, CA_FILE);
        Path cert = path(root, CERT_FILE);
        Path key = path(root, KEY_FILE);
        String[] names = {CA_FILE, CERT_FILE, KEY_FILE};
        Path[] files = {ca, cert, key};
        for (int i = 0; i < names.length; i++) {
            if (insecure && files[i] != null) {
                throw root.error(names[i], "given with Insecure true (accepted: TLS files, or Insecure true, not both)");
            }
            if (!insecure && files[i] == null) {
                throw root.error(names[i], "missing (the hub needs the cluster CA, its certificate and key; make them "
                    + "with \"muslin ca\", or set Insecure true for plaintext)");
            }
        }
        JsonFields store = root.optionalObject(STORE, TYPE, DIR, ENDPOINTS, PREFIX, CA_FILE, CERT_FILE, KEY_FILE);
        String type = store.optionalString(TYPE, EMBEDDED, "\"embedded\" or \"etcd\"");
        Path dir = null;
        Optional<EtcdStoreConfig> etcd = Optional.empty();
        if (type.equals(EMBEDDED)) {
            for (String etcdOnly : new String[] {ENDPOINTS, PREFIX, CA_FILE, CERT_FILE, KEY_FILE}) {
                if (store.has(etcdOnly)) {
                    throw store.error(etcdOnly, "applies to Type \"etcd\" only");
                }
            }
            dir = store.optional(DIR, DEFAULT_STORE_DIR, "a directory path", Path::of);
        } else if (type.equals(ETCD)) {
            if (store.has(DIR)) {
                throw store.error(DIR, "applies to Type \"embedded\" only");
            }
            etcd = Optional.of(etcd(store));
        } else {
            throw store.error(TYPE, "\"" + type + "\" is not supported (accepted: embedded, etcd)");
        }
        Optional<String> networkConfig = Optional.empty();
        JsonNode net = root.raw(NETWORK_CONFIG);
        if (net != null) {
            if (etcd.isPresent()) {
                throw root.error(NETWORK_CONFIG, "not used with Store.Type \"etcd\" (etcd's <prefix>/config is served)");
            }
            if (!net.isObject()) {
                throw root.error(NETWORK_CONFIG, "not a JSON object: " + JsonFields.describe(net)
                    + " (expected: flannel's net-conf.json)");
            }
            try {
                NetworkConfig.parse(net.toString());
            } catch (JsonFieldException e) {
                throw new JsonFieldException(NETWORK_CONFIG + "." + e.path(), e.getMessage().substring(
                    e.path().isEmpty() ? 0 : e.path().length() + 2));
            }
            networkConfig = Optional.of(net.toString());
        } else if (etcd.isEmpty()) {
            throw root.error(NETWORK_CONFIG, "missing (expected: flannel's net-conf.json, e.g. {\"Network\": "
                + "\"10.244.0.0/16\", \"SubnetLen\": 24}; the hub serves it to nodes and refuses leases outside it)");
        }
        int heartbeat = root.optionalInt(HEARTBEAT, 10, 1, 3600);
        return new HubConfig(listen, ca, cert, key, insecure, dir, etcd, networkConfig, Duration.ofSeconds(heartbeat));
    }

    private static EtcdStoreConfig etcd(JsonFields store) {
        List<URI> endpoints = new ArrayList<>();
        List<JsonNode> items = store.optionalArray(ENDPOINTS);
        if (items.isEmpty()) {
            throw store.error(ENDPOINTS, "missing (expected: etcd client URLs such as [\"http://127.0.0.1:2379\"])");
        }
        for (int i = 0; i < items.size(); i++) {
            JsonNode e = items.get(i);
            try {
                endpoints.add(new URI(e.asText()));
            } catch (URISyntaxException ex) {
                throw new JsonFieldException(store.pathOf(ENDPOINTS, i), JsonFields.describe(e) + " is not a URL");
            }
        }
        try {
            EtcdStoreConfig c = EtcdStoreConfig.of(endpoints)
                .withPrefix(store.optionalString(PREFIX, EtcdStoreConfig.DEFAULT_PREFIX, "an etcd key prefix"));
            Path ca = path(store, CA_FILE);
            Path cert = path(store, CERT_FILE);
            Path key = path(store, KEY_FILE);
            if (ca != null || cert != null || key != null) {
                c = c.withTls(new EtcdStoreConfig.Tls(Optional.ofNullable(ca), Optional.ofNullable(cert),
                    Optional.ofNullable(key)));
            }
            return c;
        } catch (JsonFieldException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new JsonFieldException(store.path(), e.getMessage());
        }
    }

    private static InetSocketAddress listenAddress(String text) {
        HubEndpoint e = HubEndpoint.parse(text);
        return new InetSocketAddress(e.host(), e.port());
    }

    private static Path path(JsonFields f, String field) {
        return f.has(field) ? Path.of(f.requiredString(field, "a file path")) : null;
    }
}
