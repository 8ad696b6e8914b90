package io.muslin.tun.linux;

import java.io.IOException;

/** A failed Linux call: names the call and carries errno and its text. */
public final class LinuxException extends IOException {
    private final int errno;

    public LinuxException(String call, int errno) {
        super(call + " failed: " + Libc.strerror(errno) + " (errno " + errno + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
