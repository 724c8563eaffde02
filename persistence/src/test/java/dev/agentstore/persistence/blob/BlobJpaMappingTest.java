package dev.agentstore.persistence.blob;

import dev.agentstore.domain.blob.Blob;
import dev.agentstore.domain.blob.BlobChunk;
import dev.agentstore.domain.blob.BlobChunkId;
import dev.agentstore.domain.blob.BlobContent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkDeleteRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertPersistRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertRemoveRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertSameRows;
import static dev.agentstore.persistence.ReadOnlyJpa.changeAndFlush;
import static dev.agentstore.persistence.ReadOnlyJpa.criteria;
import static dev.agentstore.persistence.ReadOnlyJpa.jpql;
import static dev.agentstore.persistence.ReadOnlyJpa.setField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Blob}, {@link BlobContent} and {@link BlobChunk} are true JPA mappings that users can query, and read-only
 * to JPA: the repository is the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class BlobJpaMappingTest {

    private static final byte[] SMALL = "hello".getBytes(StandardCharsets.US_ASCII);

    private static final List<Function<Blob, ?>> FIELDS = List.of(Blob::key, Blob::hash, Blob::size,
            Blob::contentType, Blob::metadata, Blob::created);

    @BeforeEach
    void blobs(AgentStore store) {
        for (String key : List.of("jpa-a", "jpa-b", "jpa-c")) {
            store.blobs().delete(key);
        }
        store.blobs().put("jpa-a", new ByteArrayInputStream(SMALL), "text/plain",
                Json.parse("m", "{\"owner\":\"team-a\",\"n\":1.50}"));
        store.blobs().put("jpa-b", Blobs.generated(BlobWrites.CHUNK_SIZE + 10, 9), null, null);
        store.blobs().put("jpa-c", new ByteArrayInputStream(SMALL), null, null);
    }

    private static List<Blob> viaRepository(AgentStore store) {
        return List.copyOf(store.blobs().getMany(List.of("jpa-a", "jpa-b", "jpa-c")).values());
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheBlobsTheRepositoryReads(AgentStore store) {
            List<Blob> jpql = jpql(store, Blob.class, "SELECT b FROM Blob b WHERE b.key LIKE 'jpa-%' ORDER BY b.key");

            assertSameRows(jpql, viaRepository(store), FIELDS);
        }

        @Test
        void criteriaReadsTheBlobsTheRepositoryReads(AgentStore store) {
            List<Blob> criteria = criteria(store, Blob.class, (cb, query, b) -> query
                    .where(b.get("key").in("jpa-a", "jpa-b", "jpa-c"))
                    .orderBy(cb.asc(b.get("key"))));

            assertSameRows(criteria, viaRepository(store), FIELDS);
        }

        @Test
        void contentsAndChunksHoldTheBytesOnceInChunkOrder(AgentStore store) {
            Blob a = store.blobs().get("jpa-a").orElseThrow();
            Blob b = store.blobs().get("jpa-b").orElseThrow();

            List<BlobContent> contents = jpql(store, BlobContent.class,
                    "SELECT c FROM BlobContent c WHERE c.hash IN :hashes ORDER BY c.size",
                    Map.of("hashes", List.of(a.hash(), b.hash())));
            assertThat(contents).extracting(BlobContent::hash).containsExactly(a.hash(), b.hash());
            assertThat(contents).extracting(BlobContent::size).containsExactly(a.size(), b.size());
            assertThat(contents).extracting(BlobContent::chunkCount).containsExactly(1, 2);

            List<BlobChunk> chunks = criteria(store, BlobChunk.class, (cb, query, c) -> query
                    .where(cb.equal(c.get("contentId"), contents.get(1).id()))
                    .orderBy(cb.asc(c.get("seq"))));
            assertThat(chunks).extracting(BlobChunk::seq).containsExactly(0, 1);
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            chunks.forEach(c -> joined.writeBytes(c.data()));
            ByteArrayOutputStream viaRepository = new ByteArrayOutputStream();
            store.blobs().get("jpa-b", viaRepository);
            assertThat(joined.toByteArray()).isEqualTo(viaRepository.toByteArray());
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, Blob.class, "jpa-c");
            BlobContent content = jpql(store, BlobContent.class, "SELECT c FROM BlobContent c WHERE c.hash = :h",
                    Map.of("h", store.blobs().get("jpa-b").orElseThrow().hash())).get(0);
            assertRemoveRefused(store, BlobChunk.class, new BlobChunkId(content.id(), 0));

            assertThat(store.blobs().has("jpa-c")).isTrue();
        }

        @Test
        void persistIsRefused(AgentStore store) {
            Blob copy = store.blobs().get("jpa-c").orElseThrow();
            store.blobs().delete("jpa-c");

            assertPersistRefused(store, copy);
            assertThat(store.blobs().has("jpa-c")).isFalse();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, Blob.class, "jpa-c", blob -> setField(blob, "contentType", "changed/type"));

            assertThat(store.blobs().get("jpa-c").orElseThrow().contentType()).isNull();
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, BlobChunk.class, "DELETE FROM BlobChunk c");

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.blobs().get("jpa-a", out);
            assertThat(out.toByteArray()).isEqualTo(SMALL);
        }
    }
}
