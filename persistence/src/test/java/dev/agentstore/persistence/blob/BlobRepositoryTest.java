package dev.agentstore.persistence.blob;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.blob.Blob;
import dev.agentstore.domain.blob.NewBlob;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static dev.agentstore.persistence.blob.Blobs.chunks;
import static dev.agentstore.persistence.blob.Blobs.contents;
import static dev.agentstore.persistence.blob.Blobs.generated;
import static dev.agentstore.persistence.blob.Blobs.generatedSha256;
import static dev.agentstore.persistence.blob.Blobs.sha256;
import static dev.agentstore.persistence.blob.Blobs.unreferencedContents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class BlobRepositoryTest {

    private static final byte[] ABC = "abc".getBytes(StandardCharsets.US_ASCII);
    /** SHA-256("abc"), FIPS 180-2 appendix B.1. */
    private static final String ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @BeforeEach
    void empty(AgentStore store) {
        List<Blob> page;
        while (!(page = store.blobs().list(null, 1000)).isEmpty()) {
            page.forEach(b -> store.blobs().delete(b.key()));
        }
    }

    private static byte[] read(AgentStore store, String key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(store.blobs().get(key, out)).isPresent();
        return out.toByteArray();
    }

    private static InputStream bytes(byte[] content) {
        return new ByteArrayInputStream(content);
    }

    @Nested
    class Hashing {

        @Test
        void theHashIsTheSha256OfTheContentInLowercaseHex(AgentStore store) {
            Blob blob = store.blobs().put("abc.txt", bytes(ABC), "text/plain", null);

            assertThat(blob.hash()).isEqualTo(ABC_SHA256).isEqualTo(sha256(ABC));
            assertThat(blob.size()).isEqualTo(3);
            assertThat(blob.key()).isEqualTo("abc.txt");
            assertThat(blob.contentType()).isEqualTo("text/plain");
            assertThat(blob.metadata()).isEqualTo(Json.object());
            assertThat(store.blobs().get("abc.txt")).contains(blob);
            assertThat(store.blobs().get("abc.txt").orElseThrow().hash()).isEqualTo(ABC_SHA256);
        }

        @Test
        void aBlobPutWithoutAKeyIsKeyedByItsHash(AgentStore store) {
            Blob blob = store.blobs().put(bytes(ABC), null, null);

            assertThat(blob.key()).isEqualTo(ABC_SHA256);
            assertThat(store.blobs().has(ABC_SHA256)).isTrue();
            assertThat(read(store, ABC_SHA256)).isEqualTo(ABC);
        }

        @Test
        void emptyContentIsStoredAndReadBack(AgentStore store) {
            Blob blob = store.blobs().put("empty", bytes(new byte[0]), null, null);

            assertThat(blob.hash()).isEqualTo(EMPTY_SHA256);
            assertThat(blob.size()).isZero();
            assertThat(read(store, "empty")).isEmpty();
        }

        @Test
        void contentTypeAndMetadataAreKeptAsGiven(AgentStore store) {
            JsonNode metadata = Json.parse("m", "{\"owner\":\"team-a\",\"tags\":[\"x\",1],\"nested\":{\"n\":null}}");
            store.blobs().put("doc", bytes(ABC), "application/pdf", metadata);

            Blob read = store.blobs().get("doc").orElseThrow();
            assertThat(read.contentType()).isEqualTo("application/pdf");
            assertThat(read.metadata()).isEqualTo(metadata);
        }
    }

    @Nested
    class Deduplication {

        @Test
        void equalContentUnderTwoKeysIsStoredOnce(AgentStore store) {
            Blob a = store.blobs().put("a", bytes(ABC), "text/plain", null);
            Blob b = store.blobs().put("b", bytes(ABC), "application/octet-stream", null);

            assertThat(a.hash()).isEqualTo(b.hash());
            assertThat(contents(store, ABC_SHA256)).isOne();
            assertThat(contents(store)).isOne();
            assertThat(chunks(store)).isOne();
            assertThat(store.blobs().get("b").orElseThrow().contentType()).isEqualTo("application/octet-stream");
        }

        @Test
        void puttingTheSameContentTwiceInOneTransactionStoresItOnce(AgentStore store) {
            store.inTransaction(uow -> {
                uow.blobs().put("a", bytes(ABC), null, null);
                uow.blobs().put(bytes(ABC), null, null);
            });

            assertThat(contents(store)).isOne();
            assertThat(store.blobs().has("a")).isTrue();
            assertThat(store.blobs().has(ABC_SHA256)).isTrue();
        }

        @Test
        void puttingAKeyAgainReplacesItsContentAndDeletesTheOldContentNoOneRefersTo(AgentStore store) {
            store.blobs().put("k", bytes(ABC), null, null);
            Blob replaced = store.blobs().put("k", bytes("xyz".getBytes(StandardCharsets.US_ASCII)), "text/plain",
                    null);

            assertThat(read(store, "k")).asString(StandardCharsets.US_ASCII).isEqualTo("xyz");
            assertThat(replaced.hash()).isEqualTo(sha256("xyz".getBytes(StandardCharsets.US_ASCII)));
            assertThat(contents(store, ABC_SHA256)).isZero();
            assertThat(contents(store)).isOne();
            assertThat(unreferencedContents(store)).isZero();
        }

        @Test
        void puttingAKeyAgainKeepsTheOldContentAnotherKeyRefersTo(AgentStore store) {
            store.blobs().put("k", bytes(ABC), null, null);
            store.blobs().put("other", bytes(ABC), null, null);
            store.blobs().put("k", bytes("xyz".getBytes(StandardCharsets.US_ASCII)), null, null);

            assertThat(read(store, "other")).isEqualTo(ABC);
            assertThat(contents(store)).isEqualTo(2);
        }
    }

    @Nested
    class Streaming {

        /** 3.5 chunks: three full chunks and a half one. */
        private static final long SIZE = 3L * BlobWrites.CHUNK_SIZE + BlobWrites.CHUNK_SIZE / 2;

        @Test
        void aBlobLargerThanAChunkIsWrittenAndReadBackByStreams(AgentStore store) throws Exception {
            String expected = generatedSha256(SIZE, 7);

            Blob blob = store.blobs().put("big", generated(SIZE, 7), "application/octet-stream", null);

            assertThat(blob.size()).isEqualTo(SIZE);
            assertThat(blob.hash()).isEqualTo(expected);
            assertThat(chunks(store)).isEqualTo(4);
            Blobs.Digesting out = new Blobs.Digesting();
            assertThat(store.blobs().get("big", out)).contains(blob);
            assertThat(out.count).isEqualTo(SIZE);
            assertThat(out.hex()).isEqualTo(expected);
            assertThat(out.largestWrite).isEqualTo(BlobWrites.CHUNK_SIZE); // whole chunks, never the whole blob
        }

        @Test
        void aStreamOpenedInAUnitOfWorkReadsTheContentByteByByteAndInBlocks(AgentStore store) throws Exception {
            store.blobs().put("big", generated(SIZE, 8), null, null);
            String expected = generatedSha256(SIZE, 8);

            String viaBlocks = store.fromTransaction(uow -> {
                Blobs.Digesting out = new Blobs.Digesting();
                try (InputStream in = uow.blobs().openStream("big").orElseThrow()) {
                    byte[] block = new byte[300_000];
                    int n;
                    while ((n = in.read(block, 0, block.length)) > 0) {
                        out.write(block, 0, n);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                return out.hex();
            });
            byte[] head = store.fromTransaction(uow -> {
                try (InputStream in = uow.blobs().openStream("big").orElseThrow()) {
                    byte[] first = new byte[5];
                    for (int i = 0; i < first.length; i++) {
                        first[i] = (byte) in.read();
                    }
                    return first;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });

            assertThat(viaBlocks).isEqualTo(expected);
            assertThat(head).isEqualTo(generated(SIZE, 8).readNBytes(5));
        }

        @Test
        void aStreamReadAfterItsUnitOfWorkEndedFailsWithAnIoException(AgentStore store) {
            store.blobs().put("small", bytes(ABC), null, null);
            InputStream escaped = store.fromTransaction(uow -> uow.blobs().openStream("small").orElseThrow());

            assertThatThrownBy(escaped::read).isInstanceOf(IOException.class)
                    .hasMessageContaining("after its unit of work ended");
            InputStream perCall = store.blobs().openStream("small").orElseThrow();
            assertThatThrownBy(perCall::read).isInstanceOf(IOException.class);
        }

        @Test
        void theInputStreamIsReadToItsEndAndNotClosed(AgentStore store) throws IOException {
            AtomicReference<Boolean> closed = new AtomicReference<>(false);
            InputStream in = new ByteArrayInputStream(ABC) {
                @Override
                public void close() {
                    closed.set(true);
                }
            };
            store.blobs().put("k", in, null, null);

            assertThat(in.read()).isEqualTo(-1);
            assertThat(closed.get()).isFalse();
        }

        @Test
        void aFailingInputStreamWritesNothing(AgentStore store) {
            InputStream failing = new InputStream() {
                private int produced;

                @Override
                public int read() throws IOException {
                    if (produced++ > BlobWrites.CHUNK_SIZE + 10) {
                        throw new IOException("disk gone");
                    }
                    return 1;
                }
            };

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.blobs().put("k", failing, null, null)))
                    .isInstanceOf(AgentStoreException.class).hasMessageContaining("disk gone");
            assertThat(store.blobs().has("k")).isFalse();
            assertThat(contents(store)).isZero();
            assertThat(chunks(store)).isZero();
        }

        @Test
        void readingAMissingKeyWritesNothing(AgentStore store) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();

            assertThat(store.blobs().get("missing", out)).isEmpty();
            assertThat(out.size()).isZero();
            Optional<InputStream> missing = store.fromTransaction(uow -> uow.blobs().openStream("missing"));
            assertThat(missing).isEmpty();
        }
    }

    @Nested
    class MaxSize {

        @Test
        void contentUpToTheMaximumIsAcceptedAndLongerContentIsRefusedBeforeAnythingIsCommitted(AgentStore store) {
            String schema = store.config().schema();
            try (AgentStore small = AgentStore.open(AgentStoreExtension.testConfig(schema)
                    .blobMaxSize(BlobWrites.CHUNK_SIZE + 100).build())) {
                assertThat(small.blobs().maxSize()).isEqualTo(BlobWrites.CHUNK_SIZE + 100);
                small.blobs().put("fits", generated(BlobWrites.CHUNK_SIZE + 100, 1), null, null);

                assertThatThrownBy(() -> small.blobs().put("too-big", generated(BlobWrites.CHUNK_SIZE + 101, 1),
                        null, null))
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("content")
                        .hasMessageContaining("maxSize " + (BlobWrites.CHUNK_SIZE + 100));
                // caught inside a unit of work that then commits: still nothing of it
                small.inTransaction(uow -> assertThatThrownBy(() -> uow.blobs().put("too-big",
                        generated(3L * BlobWrites.CHUNK_SIZE, 2), null, null))
                        .isInstanceOf(InvalidInputException.class));
            }

            assertThat(store.blobs().has("fits")).isTrue();
            assertThat(store.blobs().has("too-big")).isFalse();
            assertThat(contents(store)).isOne();
            assertThat(chunks(store)).isEqualTo(2);
            assertThat(unreferencedContents(store)).isZero();
        }

        @Test
        void theDefaultIsOneGibibyteAndAMaximumBelowOneIsRefused(AgentStore store) {
            assertThat(store.blobs().maxSize()).isEqualTo(1L << 30);
            assertThatThrownBy(() -> AgentStoreExtension.testConfig("x").blobMaxSize(0).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("blobMaxSize");
        }
    }

    @Nested
    class ManyAndHas {

        @Test
        void putManyStoresEachBlobInOrderAndKeysBlobsWithoutAKeyByTheirHash(AgentStore store) {
            byte[] xyz = "xyz".getBytes(StandardCharsets.US_ASCII);
            List<Blob> stored = store.blobs().putMany(List.of(
                    new NewBlob("one", ABC, "text/plain", Json.parse("m", "{\"n\":1}")),
                    NewBlob.of(xyz),
                    new NewBlob("three", ABC, null, null)));

            assertThat(stored).extracting(Blob::key).containsExactly("one", sha256(xyz), "three");
            assertThat(contents(store)).isEqualTo(2);
            assertThat(read(store, sha256(xyz))).isEqualTo(xyz);
        }

        @Test
        void getManyReturnsTheBlobsThatExistInTheOrderAskedWithoutContent(AgentStore store) {
            store.blobs().putMany(List.of(new NewBlob("a", ABC, null, null), new NewBlob("b", ABC, "x/y", null)));

            Map<String, Blob> many = store.blobs().getMany(List.of("b", "missing", "a", "b"));

            assertThat(many.keySet()).containsExactly("b", "a");
            assertThat(many.get("b").contentType()).isEqualTo("x/y");
            assertThat(store.blobs().getMany(List.of())).isEmpty();
        }

        @Test
        void hasTellsWhetherAKeyExists(AgentStore store) {
            store.blobs().put("a", bytes(ABC), null, null);

            assertThat(store.blobs().has("a")).isTrue();
            assertThat(store.blobs().has("b")).isFalse();
            assertThat(store.blobs().has(ABC_SHA256)).isFalse(); // content exists, but not under that key
        }

        @Test
        void listPagesThroughTheKeysInCodePointOrder(AgentStore store) {
            for (String key : List.of("b", "a", "B", "é", "c")) {
                store.blobs().put(key, bytes(ABC), null, null);
            }

            assertThat(store.blobs().list(null, 2)).extracting(Blob::key).containsExactly("B", "a");
            assertThat(store.blobs().list("a", 2)).extracting(Blob::key).containsExactly("b", "c");
            assertThat(store.blobs().list("c", 2)).extracting(Blob::key).containsExactly("é");
        }
    }

    @Nested
    class Delete {

        @Test
        void deletingTheLastKeyDeletesTheContentAndItsChunks(AgentStore store) {
            store.blobs().put("k", generated(BlobWrites.CHUNK_SIZE + 1, 3), null, null);

            assertThat(store.blobs().delete("k")).isTrue();

            assertThat(store.blobs().has("k")).isFalse();
            assertThat(contents(store)).isZero();
            assertThat(chunks(store)).isZero();
        }

        @Test
        void deletingOneOfTwoKeysKeepsTheContentTheOtherRefersTo(AgentStore store) {
            store.blobs().put("a", bytes(ABC), null, null);
            store.blobs().put(bytes(ABC), null, null);

            assertThat(store.blobs().delete("a")).isTrue();

            assertThat(read(store, ABC_SHA256)).isEqualTo(ABC);
            assertThat(store.blobs().delete(ABC_SHA256)).isTrue();
            assertThat(contents(store)).isZero();
        }

        @Test
        void deletingAMissingKeyReturnsFalse(AgentStore store) {
            assertThat(store.blobs().delete("missing")).isFalse();
        }
    }

    @Nested
    class Validation {

        @Test
        void invalidValuesAreRefusedNamingTheFieldAndNothingIsWritten(AgentStore store) {
            assertThatThrownBy(() -> store.blobs().put(" ", bytes(ABC), null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("key");
            assertThatThrownBy(() -> store.blobs().put("k".repeat(1025), bytes(ABC), null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("key");
            assertThatThrownBy(() -> store.blobs().put("k", bytes(ABC), "a\u0000b", null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("contentType");
            assertThatThrownBy(() -> store.blobs().put("k", bytes(ABC), null, Json.parse("m", "[1]")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("metadata");
            assertThatThrownBy(() -> store.blobs().put("k", null, null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("content");
            assertThatThrownBy(() -> store.blobs().get("k", null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("out");
            assertThatThrownBy(() -> store.blobs().list(null, 0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");

            assertThat(contents(store)).isZero();
        }

        @Test
        void aHashMustBeSixtyFourLowercaseHexDigits() {
            assertThat(Blob.requireHash("hash", ABC_SHA256)).isEqualTo(ABC_SHA256);
            assertThatThrownBy(() -> Blob.requireHash("hash", ABC_SHA256.toUpperCase()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("hash");
            assertThatThrownBy(() -> Blob.requireHash("hash", ABC_SHA256.substring(1)))
                    .isInstanceOf(InvalidInputException.class);
        }
    }
}
