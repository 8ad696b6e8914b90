package io.muslin.dataplane.capture;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Where a capture's pcapng goes (a file, the admin socket's client). Called on the writer thread only. */
public interface CaptureSink {
    /** Writes all of {@code pcapng} (whole blocks); an IOException ends the capture. */
    void write(ByteBuffer pcapng) throws IOException;

    /** True when whoever reads the capture asked it to stop (checked between writes; must not block). */
    default boolean stopRequested() {
        return false;
    }
}
