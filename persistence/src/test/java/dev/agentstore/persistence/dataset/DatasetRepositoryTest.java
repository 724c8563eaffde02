package dev.agentstore.persistence.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.dataset.Dataset;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.dataset.DatasetVersion;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class DatasetRepositoryTest {

    static JsonNode json(String text) {
        return Json.parse("json", text);
    }

    static String newDataset(AgentStore store) {
        String id = "ds-" + UUID.randomUUID();
        store.datasets().create(id, "questions", null, null);
        return id;
    }

    static ItemChange.Add add(String id, String question, String answer) {
        return ItemChange.add(id, json("{\"q\":\"" + question + "\"}"), answer == null ? null : json("\"" + answer + "\""),
                null);
    }

    static List<String> ids(List<DatasetItem> items) {
        return items.stream().map(DatasetItem::itemId).toList();
    }

    @Nested
    class Datasets {

        @Test
        void aCreatedDatasetIsEmptyAtVersionZeroAndReadsBack(AgentStore store, MutableClock clock) {
            Dataset created = store.datasets().create("ds-create", "Questions", "capital cities",
                    json("{\"owner\":\"qa\"}"));

            Dataset read = store.datasets().get("ds-create").orElseThrow();
            assertThat(read.version()).isZero();
            assertThat(read.name()).isEqualTo("Questions");
            assertThat(read.description()).isEqualTo("capital cities");
            assertThat(read.metadata()).isEqualTo(json("{\"owner\":\"qa\"}"));
            assertThat(read.createdAt()).isEqualTo(created.createdAt()).isEqualTo(clock.instant());
            assertThat(store.datasets().countItems("ds-create", 0)).isZero();
        }

        @Test
        void aSecondCreateWithTheSameIdIsADuplicate(AgentStore store) {
            store.datasets().create("ds-twice", "a", null, null);

            assertThatThrownBy(() -> store.datasets().create("ds-twice", "b", null, null))
                    .isInstanceOf(DuplicateException.class);
            assertThat(store.datasets().get("ds-twice").orElseThrow().name()).isEqualTo("a");
        }

        @Test
        void listPagesByIdWithAKeyset(AgentStore store) {
            for (String id : List.of("list-c", "list-a", "list-b")) {
                store.datasets().create(id, id, null, null);
            }

            List<Dataset> first = store.datasets().list("list-", 2);
            List<Dataset> second = store.datasets().list(first.get(1).id(), 2);

            assertThat(first).extracting(Dataset::id).containsExactly("list-a", "list-b");
            assertThat(second).extracting(Dataset::id).first().isEqualTo("list-c");
        }

        @Test
        void updateReplacesNameDescriptionAndMetadataButNotTheVersion(AgentStore store) {
            String id = newDataset(store);
            store.datasets().addItem(id, add("a", "x", null));

            Dataset updated = store.datasets().update(id, "renamed", null, json("{\"v\":2}"));

            assertThat(updated.name()).isEqualTo("renamed");
            assertThat(updated.description()).isNull();
            assertThat(updated.version()).isEqualTo(1);
            assertThat(store.datasets().get(id).orElseThrow().metadata()).isEqualTo(json("{\"v\":2}"));
            assertThatThrownBy(() -> store.datasets().update("ds-missing", "x", null, null))
                    .isInstanceOf(NotFoundException.class);
        }

        @Test
        void deleteRemovesTheDatasetWithItsItemsAndVersions(AgentStore store) {
            String id = newDataset(store);
            store.datasets().addItem(id, add("a", "x", null));

            assertThat(store.datasets().delete(id)).isTrue();
            assertThat(store.datasets().delete(id)).isFalse();
            assertThat(store.datasets().get(id)).isEmpty();
            assertThat(store.datasets().history(id, "a")).isEmpty();
            assertThat(store.datasets().versions(id, null, 10)).isEmpty();
        }
    }

    @Nested
    class Changes {

        @Test
        void eachCallMakesOneVersionWhateverTheNumberOfChanges(AgentStore store) {
            String id = newDataset(store);

            DatasetVersion v1 = store.datasets().apply(id, List.of(add("a", "1", "A"), add("b", "2", "B"),
                    add("c", "3", null)));
            DatasetVersion v2 = store.datasets().apply(id, List.of(
                    ItemChange.update("a", json("{\"q\":\"1*\"}"), json("\"A*\""), json("{\"k\":1}")),
                    ItemChange.delete("b")));

            assertThat(v1.version()).isEqualTo(1);
            assertThat(v1.changes()).isEqualTo(3);
            assertThat(v2.version()).isEqualTo(2);
            assertThat(v2.changes()).isEqualTo(2);
            assertThat(store.datasets().get(id).orElseThrow().version()).isEqualTo(2);
            assertThat(store.datasets().versions(id, null, 10)).extracting(DatasetVersion::version)
                    .containsExactly(2, 1);
        }

        @Test
        void anUpdateReplacesInputExpectedOutputAndMetadata(AgentStore store) {
            String id = newDataset(store);
            store.datasets().addItem(id, ItemChange.add("a", json("1"), json("2"), json("{\"m\":true}")));

            store.datasets().apply(id, List.of(ItemChange.update("a", json("[1]"), null, null)));

            DatasetItem a = store.datasets().item(id, "a", 2).orElseThrow();
            assertThat(a.input()).isEqualTo(json("[1]"));
            assertThat(a.expectedOutput()).isNull();
            assertThat(a.metadata()).isEqualTo(Json.object());
        }

        @Test
        void aJsonNullExpectedOutputIsKeptApartFromNone(AgentStore store) {
            String id = newDataset(store);

            store.datasets().apply(id, List.of(ItemChange.add("null", NullNode.getInstance(), NullNode.getInstance(),
                    null), ItemChange.add("none", json("0"), null, null)));

            assertThat(store.datasets().item(id, "null", 1).orElseThrow().expectedOutput())
                    .isEqualTo(NullNode.getInstance());
            assertThat(store.datasets().item(id, "null", 1).orElseThrow().input()).isEqualTo(NullNode.getInstance());
            assertThat(store.datasets().item(id, "none", 1).orElseThrow().expectedOutput()).isNull();
        }

        @Test
        void addingACurrentItemIsADuplicateAndWritesNothing(AgentStore store) {
            String id = newDataset(store);
            store.datasets().addItem(id, add("a", "1", null));

            assertThatThrownBy(() -> store.datasets().apply(id, List.of(add("b", "2", null), add("a", "x", null))))
                    .isInstanceOf(DuplicateException.class).hasMessageContaining("a");
            assertThat(store.datasets().get(id).orElseThrow().version()).isEqualTo(1);
            assertThat(store.datasets().history(id, "b")).isEmpty();
        }

        @Test
        void updatingOrDeletingAMissingItemIsNotFoundAndWritesNothing(AgentStore store) {
            String id = newDataset(store);
            store.datasets().addItem(id, add("a", "1", null));
            store.datasets().apply(id, List.of(ItemChange.delete("a")));

            assertThatThrownBy(() -> store.datasets().apply(id, List.of(ItemChange.delete("a"))))
                    .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.datasets().apply(id, List.of(add("b", "1", null),
                    ItemChange.update("zz", json("1"), null, null)))).isInstanceOf(NotFoundException.class);
            assertThat(store.datasets().get(id).orElseThrow().version()).isEqualTo(2);
            assertThat(store.datasets().history(id, "b")).isEmpty();
        }

        @Test
        void aDeletedItemCanBeAddedAgainLater(AgentStore store) {
            String id = newDataset(store);
            store.datasets().addItem(id, add("a", "1", null));
            store.datasets().apply(id, List.of(ItemChange.delete("a")));
            store.datasets().addItem(id, add("a", "again", null));

            assertThat(store.datasets().history(id, "a")).extracting(DatasetItem::validFrom, DatasetItem::validTo)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 2),
                            org.assertj.core.groups.Tuple.tuple(3, null));
            assertThat(store.datasets().item(id, "a", 2)).isEmpty();
        }

        @Test
        void changingAMissingDatasetIsNotFound(AgentStore store) {
            assertThatThrownBy(() -> store.datasets().addItem("ds-none", add("a", "1", null)))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("ds-none");
        }

        @Test
        void invalidChangesAreRejectedBeforeAnythingIsWritten(AgentStore store) {
            String id = newDataset(store);

            assertThatThrownBy(() -> store.datasets().apply(id, List.of()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("changes");
            assertThatThrownBy(() -> store.datasets().apply(id, List.of(add("a", "1", null), ItemChange.delete("a"))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("more than once");
            assertThatThrownBy(() -> ItemChange.add("a", null, null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("input");
            assertThatThrownBy(() -> ItemChange.add(" ", json("1"), null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("itemId");
            assertThatThrownBy(() -> ItemChange.add("a", json("1"), null, json("[1]")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("metadata");
            assertThatThrownBy(() -> store.datasets().apply(id, List.of(ItemChange.add("a",
                    json("[".repeat(150) + "]".repeat(150)), null, null))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("input");
            assertThatThrownBy(() -> store.datasets().create("bad\u0000id", "x", null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("id");
            assertThat(store.datasets().get(id).orElseThrow().version()).isZero();
        }
    }

    @Nested
    class AsOfVersion {

        @Test
        void eachVersionReadsTheItemsAsTheyWereThen(AgentStore store) {
            String id = newDataset(store);
            store.datasets().apply(id, List.of(add("a", "a1", null), add("b", "b1", null)));
            store.datasets().apply(id, List.of(ItemChange.update("a", json("\"a2\""), null, null), add("c", "c1", null)));
            store.datasets().apply(id, List.of(ItemChange.delete("b")));

            assertThat(ids(store.datasets().items(id, 0, null, 10))).isEmpty();
            assertThat(ids(store.datasets().items(id, 1, null, 10))).containsExactly("a", "b");
            assertThat(ids(store.datasets().items(id, 2, null, 10))).containsExactly("a", "b", "c");
            assertThat(ids(store.datasets().items(id, 3, null, 10))).containsExactly("a", "c");
            assertThat(store.datasets().item(id, "a", 1).orElseThrow().input()).isEqualTo(json("{\"q\":\"a1\"}"));
            assertThat(store.datasets().item(id, "a", 3).orElseThrow().input()).isEqualTo(json("\"a2\""));
            assertThat(store.datasets().countItems(id, 2)).isEqualTo(3);
        }

        @Test
        void keysetPagesCoverEveryItemOnceInIdOrder(AgentStore store) {
            String id = newDataset(store);
            List<ItemChange> adds = new ArrayList<>();
            IntStream.range(0, 25).forEach(i -> adds.add(add(String.format("i%03d", i), "q" + i, null)));
            store.datasets().apply(id, adds);
            store.datasets().apply(id, List.of(ItemChange.delete("i010")));

            List<String> seen = new ArrayList<>();
            String after = null;
            List<DatasetItem> page;
            do {
                page = store.datasets().items(id, 2, after, 7);
                seen.addAll(ids(page));
                after = page.isEmpty() ? null : page.get(page.size() - 1).itemId();
            } while (page.size() == 7);

            assertThat(seen).hasSize(24).doesNotContain("i010").isSorted().doesNotHaveDuplicates();
        }

        @Test
        void aVersionAboveTheCurrentOneIsNotFound(AgentStore store) {
            String id = newDataset(store);
            store.datasets().addItem(id, add("a", "1", null));

            assertThatThrownBy(() -> store.datasets().items(id, 2, null, 10))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("version 2");
            assertThatThrownBy(() -> store.datasets().item(id, "a", -1)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.datasets().items(id, 1, null, 0)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.datasets().countItems("ds-none", 0)).isInstanceOf(NotFoundException.class);
        }
    }

    @Nested
    class History {

        @Test
        void historyListsEveryRevisionOldestFirstWithItsVersionRange(AgentStore store, MutableClock clock) {
            String id = newDataset(store);
            Instant t1 = clock.instant();
            store.datasets().addItem(id, add("a", "1", null));
            clock.advance(Duration.ofSeconds(1));
            store.datasets().apply(id, List.of(ItemChange.update("a", json("2"), null, null)));
            store.datasets().apply(id, List.of(add("other", "x", null)));
            store.datasets().apply(id, List.of(ItemChange.delete("a")));

            List<DatasetItem> history = store.datasets().history(id, "a");

            assertThat(history).extracting(DatasetItem::validFrom).containsExactly(1, 2);
            assertThat(history).extracting(DatasetItem::validTo).containsExactly(2, 4);
            assertThat(history.get(0).createdAt()).isEqualTo(t1);
            assertThat(history.get(1).input()).isEqualTo(json("2"));
            assertThat(history.get(1).validAt(3)).isTrue();
            assertThat(history.get(1).validAt(4)).isFalse();
        }

        @Test
        void versionsPageNewestFirst(AgentStore store) {
            String id = newDataset(store);
            for (int i = 0; i < 5; i++) {
                store.datasets().addItem(id, add("v" + i, "q", null));
            }

            List<DatasetVersion> first = store.datasets().versions(id, null, 2);
            List<DatasetVersion> next = store.datasets().versions(id, first.get(1).version(), 10);

            assertThat(first).extracting(DatasetVersion::version).containsExactly(5, 4);
            assertThat(next).extracting(DatasetVersion::version).containsExactly(3, 2, 1);
            assertThat(next).extracting(DatasetVersion::changes).containsOnly(1);
        }
    }
}
