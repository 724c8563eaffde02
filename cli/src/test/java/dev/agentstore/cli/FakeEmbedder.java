package dev.agentstore.cli;

import dev.agentstore.domain.knowledge.Embedder;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fast, deterministic stand-in for MiniLM in tests: a hashed bag of words in 384 dimensions, normalised, so texts
 * sharing words are close. Counts the texts it embedded.
 */
final class FakeEmbedder implements Embedder {

    final AtomicInteger embedded = new AtomicInteger();

    @Override
    public int dimension() {
        return 384;
    }

    @Override
    public String toString() {
        return "fake bag-of-words";
    }

    @Override
    public float[] embed(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("cannot embed blank text");
        }
        embedded.incrementAndGet();
        float[] v = new float[384];
        for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z0-9_]+")) {
            if (w.length() > 2) {
                v[Math.floorMod(w.hashCode(), 384)] += 1;
            }
        }
        v[383] += 0.01f; // never the zero vector
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        float inv = (float) (1 / Math.sqrt(n));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }
}
