package dev.agentstore.cli.ingest;

import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.TextUpsert;
import dev.agentstore.persistence.AgentStore;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ingest pipeline: extract (jsoup / text) → chunk → {@code store.chunks().upsertTexts} (embed on write), in
 * batches, each batch committed on its own,
 * into a cosine knowledge base with an HNSW index ({@code store.knowledge()}, {@code store.chunks()}); a chunk's id
 * is {@code documentId#ordinal}, its title and heading go into the payload (see {@link Chunk#toNewChunk}).
 * Incremental ({@code upsertTexts} skips unchanged content): a chunk whose (document, ordinal) already holds the same
 * content hash is not embedded again, so a rerun over an unchanged corpus embeds and changes nothing, and an
 * interrupted run resumes where its last committed batch ended. Chunks left over from a document that got shorter are deleted.
 */
public final class Ingester {

    /**
     * What an ingest did.
     *
     * @param files      files read
     * @param chunks     chunks in the corpus
     * @param embedded   chunks embedded and written by this run
     * @param unchanged  chunks already stored with the same content hash (not embedded again)
     * @param deleted    stale chunks deleted
     * @param batches    batches committed
     * @param extraction time reading files, extracting text and chunking
     * @param embedding  time embedding
     * @param database   time reading stored hashes and writing chunks
     * @param total      wall-clock time
     */
    public record Report(int files, int chunks, int embedded, int unchanged, int deleted, int batches,
                         Duration extraction, Duration embedding, Duration database, Duration total) {
    }

    private final AgentStore store;
    private final Embedder embedder;
    private final Chunker chunker;
    private final int batchSize;
    private final PrintStream progressOut;
    private final AtomicInteger committedChunks = new AtomicInteger();
    private final AtomicInteger committedBatches = new AtomicInteger();
    private long writeNs;

    /**
     * @param store       the open store
     * @param embedder    the embedding model
     * @param chunker     the chunker
     * @param batchSize   chunks per embedded-and-committed batch; at least 1
     * @param progressOut where the progress bar is drawn, or {@code null} for none
     */
    public Ingester(AgentStore store, Embedder embedder, Chunker chunker, int batchSize, PrintStream progressOut) {
        this.store = Objects.requireNonNull(store);
        this.embedder = Objects.requireNonNull(embedder);
        this.chunker = Objects.requireNonNull(chunker);
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, was " + batchSize);
        }
        this.batchSize = batchSize;
        this.progressOut = progressOut;
    }

    /** @return chunks committed so far by this ingester (readable from another thread, e.g. a shutdown hook) */
    public int committedChunks() {
        return committedChunks.get();
    }

    /** @return batches committed so far by this ingester */
    public int committedBatches() {
        return committedBatches.get();
    }

    /**
     * @param kb     the knowledge base (created if missing)
     * @param corpus the files
     * @return counts and the time split
     * @throws Corpus.CorpusException when a file cannot be read, or the corpus holds no text at all
     */
    public Report ingest(String kb, Corpus corpus) {
        long start = System.nanoTime();
        long extractNs = 0;
        long embedNs = 0;
        long dbNs = 0;
        writeNs = 0;
        int chunks = 0;
        int unchanged = 0;
        int deleted = 0;
        int embedded = 0;

        long t = System.nanoTime();
        ensureBase(store, kb, embedder.dimension());
        Map<String, String> stored = store.chunks().contentHashes(kb);
        dbNs += System.nanoTime() - t;

        TimedEmbedder timed = new TimedEmbedder(embedder);
        List<Chunk> pending = new ArrayList<>();
        try (ProgressBar bar = progressBar(corpus.files().size())) {
            for (Corpus.SourceFile file : corpus.files()) {
                t = System.nanoTime();
                List<Chunk> docChunks = chunker.chunk(corpus.extract(file));
                extractNs += System.nanoTime() - t;
                chunks += docChunks.size();
                pending.addAll(docChunks);
                List<String> stale = new ArrayList<>();
                for (int ordinal = docChunks.size(); stored.containsKey(file.id() + "#" + ordinal); ordinal++) {
                    stale.add(file.id() + "#" + ordinal);
                }
                if (!stale.isEmpty()) {
                    t = System.nanoTime();
                    deleted += store.chunks().delete(kb, stale);
                    dbNs += System.nanoTime() - t;
                }
                while (pending.size() >= batchSize) {
                    List<Chunk> batch = new ArrayList<>(pending.subList(0, batchSize));
                    pending.subList(0, batchSize).clear();
                    TextUpsert r = writeBatch(kb, batch, timed);
                    embedded += r.embedded();
                    unchanged += r.unchanged();
                }
                if (bar != null) {
                    bar.step();
                    bar.setExtraMessage(" chunks " + chunks + ", embedded " + embedded);
                }
            }
            if (!pending.isEmpty()) {
                TextUpsert r = writeBatch(kb, pending, timed);
                embedded += r.embedded();
                unchanged += r.unchanged();
                if (bar != null) {
                    bar.setExtraMessage(" chunks " + chunks + ", embedded " + embedded);
                }
            }
        }
        embedNs = timed.nanos;
        dbNs += writeNs - embedNs;
        if (chunks == 0) {
            throw new Corpus.CorpusException("the corpus (" + corpus.files().size() + " file(s)) holds no text to ingest");
        }
        return new Report(corpus.files().size(), chunks, embedded, unchanged, deleted, committedBatches.get(),
                Duration.ofNanos(extractNs), Duration.ofNanos(embedNs), Duration.ofNanos(dbNs),
                Duration.ofNanos(System.nanoTime() - start));
    }

    /** One batch through {@code upsertTexts}, one transaction: unchanged chunks are not embedded again. */
    private TextUpsert writeBatch(String kb, List<Chunk> batch, Embedder timed) {
        long t = System.nanoTime();
        TextUpsert r = store.chunks().upsertTexts(kb, batch.stream().map(Chunk::toNewTextChunk).toList(), timed);
        writeNs += System.nanoTime() - t;
        if (r.embedded() > 0) {
            committedChunks.addAndGet(r.embedded());
            committedBatches.incrementAndGet();
        }
        return r;
    }

    /** Delegates to an embedder, adding up the time spent in it (one ingest runs on one thread). */
    private static final class TimedEmbedder implements Embedder {
        private final Embedder delegate;
        private long nanos;

        TimedEmbedder(Embedder delegate) {
            this.delegate = delegate;
        }

        @Override
        public float[] embed(String text) {
            long t = System.nanoTime();
            try {
                return delegate.embed(text);
            } finally {
                nanos += System.nanoTime() - t;
            }
        }

        @Override
        public List<float[]> embedAll(List<String> texts) {
            long t = System.nanoTime();
            try {
                return delegate.embedAll(texts);
            } finally {
                nanos += System.nanoTime() - t;
            }
        }

        @Override
        public int dimension() {
            return delegate.dimension();
        }

        @Override
        public int batchSize() {
            return delegate.batchSize();
        }
    }

    /**
     * Creates the knowledge base (cosine, HNSW) if missing.
     *
     * @param store     the open store
     * @param kb        the knowledge base's name
     * @param dimension the embedder's dimension
     * @throws IllegalStateException when the base exists with another dimension
     */
    public static void ensureBase(AgentStore store, String kb, int dimension) {
        store.inTransaction(uow -> {
            KnowledgeBase base = uow.knowledge().find(kb).orElse(null);
            if (base == null) {
                uow.knowledge().create(kb, dimension, Distance.COSINE, IndexSpec.hnsw());
            } else if (base.dimension() != dimension) {
                throw new IllegalStateException("knowledge base " + kb + " holds " + base.dimension()
                        + "-dimension vectors, the embedder gives " + dimension);
            }
        });
    }

    private ProgressBar progressBar(int files) {
        if (progressOut == null) {
            return null;
        }
        return new ProgressBarBuilder()
                .setTaskName("ingest")
                .setInitialMax(files)
                .setUnit(" files", 1)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500)
                .showSpeed()
                .setConsumer(new ConsoleProgressBarConsumer(progressOut, 130))
                .build();
    }
}
