package io.muslin.dataplane.offload;

/** SYN segments for tests in other packages. */
public final class MssClampTestSupport {
    private MssClampTestSupport() {
    }

    /** An IPv4 TCP SYN whose only option is MSS {@code mss} (at byte 42), checksums right. */
    public static byte[] syn(int mss) {
        return MssClampTest.segment(Tcp.SYN, String.format("0204%04x", mss));
    }
}
