package io.muslin.dataplane.engine;

import io.muslin.tun.epoll.FdHandle;

/**
 * What drives the outbound path from the TUN device: {@link TunReader} (plain device) or
 * {@link OffloadTunReader} (offload mode). Called on the event loop only.
 */
interface TunDriver extends FdHandle.Listener, AutoCloseable {
    /** The registrations of the TUN device and the send sockets, for switching interest on stalls. */
    void attach(FdHandle tunHandle, FdHandle... socketHandles);

    /** Releases the buffers; after the handles are cancelled. */
    @Override
    void close();
}
