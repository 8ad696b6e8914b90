package io.muslin.node.e2e;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Churns leases in flannel's etcd layout as fast as etcd takes them: {@code EtcdChurn ENDPOINT
 * PREFIX PUBLIC_IP SUBNET_LEN BATCH ROUNDS}. Two sets of {@code BATCH} made-up subnets (/SUBNET_LEN
 * from 10.244.64.0 on, each a VXLAN lease at PUBLIC_IP with a MAC of its own) take turns: each
 * round deletes one set and puts the other, one transaction each, so every round is
 * 2 × BATCH changes for the nodes watching. At the end the last set is deleted too. Prints
 * {@code changes SECONDS}. The e2e tests run it with {@code ip netns exec} next to the lab's etcd.
 */
public final class EtcdChurn {
    private EtcdChurn() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: EtcdChurn ENDPOINT PREFIX PUBLIC_IP SUBNET_LEN BATCH ROUNDS");
            System.exit(2);
        }
        String prefix = args[1];
        String publicIp = args[2];
        int subnetLen = Integer.parseInt(args[3]);
        int batch = Integer.parseInt(args[4]);
        int rounds = Integer.parseInt(args[5]);
        int step = 1 << (32 - subnetLen);
        List<Op> putA = new ArrayList<>();
        List<Op> putB = new ArrayList<>();
        List<Op> deleteA = new ArrayList<>();
        List<Op> deleteB = new ArrayList<>();
        for (int k = 0; k < 2 * batch; k++) {
            int address = (10 << 24 | 244 << 16 | 64 << 8) + k * step;
            String subnet = (address >>> 24 & 255) + "." + (address >>> 16 & 255) + "." + (address >>> 8 & 255) + "."
                + (address & 255) + "-" + subnetLen;
            ByteSequence key = ByteSequence.from(prefix + "/subnets/" + subnet, StandardCharsets.UTF_8);
            String value = "{\"PublicIP\":\"" + publicIp + "\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,"
                + "\"VtepMAC\":\"" + String.format("6e:75:74:%02x:%02x:%02x", k >> 16 & 255, k >> 8 & 255, k & 255)
                + "\"}}";
            (k < batch ? putA : putB).add(Op.put(key, ByteSequence.from(value, StandardCharsets.UTF_8), PutOption.DEFAULT));
            (k < batch ? deleteA : deleteB).add(Op.delete(key, DeleteOption.DEFAULT));
        }
        try (Client client = Client.builder().endpoints(args[0]).build()) {
            long changes = 0;
            long start = System.nanoTime();
            commit(client, putA);
            changes += batch;
            for (int r = 0; r < rounds; r++) {
                boolean aGoes = r % 2 == 0;
                commit(client, aGoes ? deleteA : deleteB);
                commit(client, aGoes ? putB : putA);
                changes += 2L * batch;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            commit(client, rounds % 2 == 0 ? deleteA : deleteB);
            System.out.printf("%d %.3f%n", changes, seconds);
        }
    }

    private static void commit(Client client, List<Op> ops) throws Exception {
        client.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit().get(60, TimeUnit.SECONDS);
    }
}
