package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.knowledge.ChunkMatch;

import java.util.ArrayList;
import java.util.List;

/**
 * Maximal marginal relevance (Carbonell and Goldstein, 1998): from the
 * candidates, pick {@code k} greedily, each maximising {@code λ · cos(query, c) − (1 − λ) · max cos(c, picked)}.
 * Cosine similarity whatever the base's metric (it compares directions; scores of L2 and inner-product bases are
 * not bounded, so they could not be weighed against each other). Ties go to the earlier (nearer) candidate.
 */
final class Mmr {

    private Mmr() {
    }

    /**
     * @param query      the query embedding
     * @param candidates the nearest candidates, with embeddings, nearest first
     * @param k          how many to pick
     * @param lambda     relevance weight, 0–1
     * @return at most {@code k} candidates in MMR order
     */
    static List<ChunkMatch> rerank(float[] query, List<ChunkMatch> candidates, int k, double lambda) {
        int n = candidates.size();
        float[][] vectors = new float[n][];
        double[] relevance = new double[n];
        for (int i = 0; i < n; i++) {
            vectors[i] = candidates.get(i).embedding();
            relevance[i] = cosine(query, vectors[i]);
        }
        double[] maxSimilarity = new double[n];
        java.util.Arrays.fill(maxSimilarity, Double.NEGATIVE_INFINITY);
        boolean[] picked = new boolean[n];
        List<ChunkMatch> out = new ArrayList<>(Math.min(k, n));
        while (out.size() < Math.min(k, n)) {
            int best = -1;
            double bestValue = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (picked[i]) {
                    continue;
                }
                double redundancy = out.isEmpty() ? 0.0 : maxSimilarity[i];
                double value = lambda * relevance[i] - (1.0 - lambda) * redundancy;
                if (best < 0 || value > bestValue) {
                    best = i;
                    bestValue = value;
                }
            }
            picked[best] = true;
            out.add(candidates.get(best));
            for (int i = 0; i < n; i++) {
                if (!picked[i]) {
                    maxSimilarity[i] = Math.max(maxSimilarity[i], cosine(vectors[i], vectors[best]));
                }
            }
        }
        return out;
    }

    /** @return the cosine similarity, 0 when either vector is zero */
    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0.0 : dot / Math.sqrt(na * nb);
    }
}
