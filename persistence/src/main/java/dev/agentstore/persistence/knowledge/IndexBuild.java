package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.IndexType;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.VectorType;

/**
 * The memory and parallelism of an index build ({@link KnowledgeRepository#changeIndex(String, IndexSpec,
 * IndexBuild)}), set with {@code SET LOCAL} right before the {@code CREATE INDEX}, so they stay in force until the
 * caller's transaction ends (read them back there with {@code SHOW maintenance_work_mem}).
 *
 * <p>pgvector builds an HNSW graph in memory as long as it fits into {@code maintenance_work_mem}, and only then
 * switches to inserting on disk, which is many times slower ({@code NOTICE: hnsw graph no longer fits into
 * maintenance_work_mem}); PostgreSQL's default of 64 MB holds about 28,000 graph elements of 384 dimensions. With
 * {@link #auto()} the build gets {@code maintenance_work_mem} = {@link #hnswGraphBytes} for the base's current
 * chunks, when that is more than the connection's setting, up to {@value #MAX_AUTO_MAINTENANCE_WORK_MEM_MB} MB.
 * Parallel workers ({@code max_parallel_maintenance_workers}, the server's setting unless given) build one shared
 * graph; PostgreSQL starts fewer of them than allowed when {@code maintenance_work_mem / (workers + 1)} is below
 * 32 MB, and pgvector reserves all of {@code maintenance_work_mem} as shared memory up front for a parallel build,
 * which is why the automatic size follows the data instead of being a fixed large value. IVFFlat builds keep the
 * connection's {@code maintenance_work_mem} unless one is given.
 *
 * @param maintenanceWorkMemMb {@code maintenance_work_mem} in MB, 1–{@value #MAX_MAINTENANCE_WORK_MEM_MB}, or
 *                             {@code null} for the automatic size
 * @param parallelWorkers      {@code max_parallel_maintenance_workers}, 0–{@value #MAX_PARALLEL_WORKERS} (0: no
 *                             parallel build), or {@code null} for the server's setting
 */
public record IndexBuild(Integer maintenanceWorkMemMb, Integer parallelWorkers) {

    /** Most memory {@link #auto()} gives a build: 1,024 MB (a larger base is then built partly on disk). */
    public static final int MAX_AUTO_MAINTENANCE_WORK_MEM_MB = 1_024;
    /** Largest {@code maintenance_work_mem} PostgreSQL accepts, in MB. */
    public static final int MAX_MAINTENANCE_WORK_MEM_MB = 2_097_151;
    /** Largest {@code max_parallel_maintenance_workers} PostgreSQL accepts. */
    public static final int MAX_PARALLEL_WORKERS = 1_024;

    /**
     * @throws InvalidInputException when a value is out of range
     */
    public IndexBuild {
        if (maintenanceWorkMemMb != null) {
            Check.range("maintenanceWorkMemMb", maintenanceWorkMemMb, 1, MAX_MAINTENANCE_WORK_MEM_MB);
        }
        if (parallelWorkers != null) {
            Check.range("parallelWorkers", parallelWorkers, 0, MAX_PARALLEL_WORKERS);
        }
    }

    /** @return the automatic {@code maintenance_work_mem} and the server's parallel workers */
    public static IndexBuild auto() {
        return new IndexBuild(null, null);
    }

    /**
     * @param megabytes {@code maintenance_work_mem} for the build, 1–{@value #MAX_MAINTENANCE_WORK_MEM_MB} MB
     * @return a copy with this memory
     * @throws InvalidInputException when it is out of range
     */
    public IndexBuild withMaintenanceWorkMemMb(int megabytes) {
        return new IndexBuild(megabytes, parallelWorkers);
    }

    /**
     * @param workers {@code max_parallel_maintenance_workers} for the build, 0–{@value #MAX_PARALLEL_WORKERS}
     * @return a copy with these workers
     * @throws InvalidInputException when it is out of range
     */
    public IndexBuild withParallelWorkers(int workers) {
        return new IndexBuild(maintenanceWorkMemMb, workers);
    }

    /**
     * The memory an in-memory HNSW build of {@code rows} elements takes, with a margin: per element the vector
     * ({@code 8 + dimension × 4} bytes, {@code × 2} for halfvec), {@code 64 × m} bytes of neighbour lists and 512
     * bytes of bookkeeping, plus 16 MB. pgvector 0.8 measured about 2,350 bytes per element for 384 dimensions and
     * {@code m = 16}, where this gives 3,080.
     *
     * @param rows      the base's chunks
     * @param dimension the base's dimension
     * @param type      the base's vector type
     * @param m         HNSW's {@code m}
     * @return bytes
     */
    public static long hnswGraphBytes(long rows, int dimension, VectorType type, int m) {
        long vector = 8L + (long) dimension * (type == VectorType.HALFVEC ? 2 : 4);
        return rows * (vector + 64L * m + 512) + 16L * 1024 * 1024;
    }

    /**
     * @param kb         the base, with its new index
     * @param rows       its chunks
     * @param currentKb  the connection's {@code maintenance_work_mem} in kB
     * @return the {@code maintenance_work_mem} to set, in kB, or {@code null} to keep the connection's
     */
    Long maintenanceWorkMemKb(KnowledgeBase kb, long rows, long currentKb) {
        if (maintenanceWorkMemMb != null) {
            return maintenanceWorkMemMb * 1024L;
        }
        if (kb.index().type() != IndexType.HNSW) {
            return null;
        }
        long wantedKb = Math.min(MAX_AUTO_MAINTENANCE_WORK_MEM_MB * 1024L,
                (hnswGraphBytes(rows, kb.dimension(), kb.vectorType(), kb.index().m()) + 1023) / 1024);
        return wantedKb > currentKb ? wantedKb : null;
    }
}
