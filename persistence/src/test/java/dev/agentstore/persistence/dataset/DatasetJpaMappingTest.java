package dev.agentstore.persistence.dataset;

import dev.agentstore.domain.dataset.Dataset;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.dataset.DatasetVersion;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkDeleteRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkUpdateRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertPersistRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertRemoveRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertSameRows;
import static dev.agentstore.persistence.ReadOnlyJpa.changeAndFlush;
import static dev.agentstore.persistence.ReadOnlyJpa.criteria;
import static dev.agentstore.persistence.ReadOnlyJpa.jpql;
import static dev.agentstore.persistence.ReadOnlyJpa.setField;
import static dev.agentstore.persistence.dataset.DatasetRepositoryTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Dataset}, {@link DatasetVersion} and {@link DatasetItem} are true JPA mappings that users can query, and
 * read-only to JPA: the repository is the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class DatasetJpaMappingTest {

    private static final String ID = "jpa-ds";

    private static final List<Function<Dataset, ?>> DATASET_FIELDS = List.of(Dataset::id, Dataset::name,
            Dataset::description, Dataset::metadata, Dataset::version, Dataset::createdAt, Dataset::updatedAt);

    private static final List<Function<DatasetItem, ?>> ITEM_FIELDS = List.of(DatasetItem::id, DatasetItem::datasetId,
            DatasetItem::itemId, DatasetItem::validFrom, DatasetItem::validTo, DatasetItem::input,
            DatasetItem::expectedOutput, DatasetItem::metadata, DatasetItem::createdAt);

    private static final List<Function<DatasetVersion, ?>> VERSION_FIELDS = List.of(DatasetVersion::id,
            DatasetVersion::datasetId, DatasetVersion::version, DatasetVersion::changes, DatasetVersion::createdAt);

    @BeforeEach
    void dataset(AgentStore store) {
        store.datasets().delete(ID);
        store.datasets().create(ID, "jpa", "mapped", json("{\"k\":[1,null]}"));
        store.datasets().apply(ID, List.of(ItemChange.add("a", json("{\"q\":1}"), json("\"x\""), json("{\"m\":1}")),
                ItemChange.add("b", json("2"), null, null)));
        store.datasets().apply(ID, List.of(ItemChange.update("a", json("{\"q\":2}"), null, null)));
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheDatasetTheRepositoryReads(AgentStore store) {
            List<Dataset> rows = jpql(store, Dataset.class, "SELECT d FROM Dataset d WHERE d.id = :id",
                    Map.of("id", ID));

            assertSameRows(rows, List.of(store.datasets().get(ID).orElseThrow()), DATASET_FIELDS);
        }

        @Test
        void jpqlAsOfAVersionReadsTheItemsTheRepositoryReads(AgentStore store) {
            List<DatasetItem> rows = jpql(store, DatasetItem.class, "SELECT i FROM DatasetItem i"
                    + " WHERE i.datasetId = :id AND i.validFrom <= 1 AND (i.validTo IS NULL OR i.validTo > 1)"
                    + " ORDER BY i.itemId", Map.of("id", ID));

            assertThat(rows).hasSize(2);
            assertSameRows(rows, store.datasets().items(ID, 1, null, 10), ITEM_FIELDS);
            assertThat(rows.get(1).expectedOutput()).isNull();
        }

        @Test
        void criteriaReadsTheHistoryAndVersionsTheRepositoryReads(AgentStore store) {
            List<DatasetItem> history = criteria(store, DatasetItem.class, (cb, query, i) -> query
                    .where(cb.equal(i.get("datasetId"), ID), cb.equal(i.get("itemId"), "a"))
                    .orderBy(cb.asc(i.get("validFrom"))));
            List<DatasetVersion> versions = criteria(store, DatasetVersion.class, (cb, query, v) -> query
                    .where(cb.equal(v.get("datasetId"), ID)).orderBy(cb.desc(v.get("version"))));

            assertSameRows(history, store.datasets().history(ID, "a"), ITEM_FIELDS);
            assertSameRows(versions, store.datasets().versions(ID, null, 10), VERSION_FIELDS);
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, Dataset.class, ID);
            assertRemoveRefused(store, DatasetItem.class, store.datasets().history(ID, "b").get(0).id());

            assertThat(store.datasets().items(ID, 2, null, 10)).hasSize(2);
        }

        @Test
        void persistIsRefused(AgentStore store) {
            DatasetVersion copy = store.datasets().versions(ID, null, 1).get(0);
            store.datasets().delete(ID);

            assertPersistRefused(store, copy);
            assertThat(store.datasets().get(ID)).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, Dataset.class, ID, d -> setField(d, "name", "changed"));
            long itemId = store.datasets().history(ID, "b").get(0).id();
            changeAndFlush(store, DatasetItem.class, itemId, i -> setField(i, "validTo", 1));

            assertThat(store.datasets().get(ID).orElseThrow().name()).isEqualTo("jpa");
            assertThat(store.datasets().history(ID, "b").get(0).validTo()).isNull();
        }

        @Test
        void bulkUpdatesAndDeletesAreRefused(AgentStore store) {
            assertBulkUpdateRefused(store, DatasetItem.class, "UPDATE DatasetItem i SET i.validTo = 1");
            assertBulkDeleteRefused(store, DatasetVersion.class, "DELETE FROM DatasetVersion v");

            assertThat(store.datasets().versions(ID, null, 10)).hasSize(2);
            assertThat(store.datasets().history(ID, "b").get(0).validTo()).isNull();
        }
    }
}
