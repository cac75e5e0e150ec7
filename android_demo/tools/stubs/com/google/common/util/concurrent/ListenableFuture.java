// Compile-only signature of com.google.guava:listenablefuture 1.0 (what CameraX's getInstance returns), written from
// guava/src/com/google/common/util/concurrent/ListenableFuture.java (Guava, Apache-2.0).
package com.google.common.util.concurrent;

public interface ListenableFuture<V> extends java.util.concurrent.Future<V> {
    void addListener(Runnable listener, java.util.concurrent.Executor executor);
}
