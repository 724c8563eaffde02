package dev.agentstore.persistence.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.dataset.DatasetVersion;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.UnnestColumns;
import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The writes of a change of a dataset's items, on one handle: lock the dataset's row, take the next version
 * number, close the replaced revisions, insert the new ones (set-based, one statement per kind for a batch), record
 * the version. The row lock ({@code SELECT ... FOR UPDATE}) serialises the changes of one dataset, so version
 * numbers are unique and without gaps: a change that rolls back takes its increment with it.
 */
final class ItemWrites {

    private final Handle h;
    private final String datasetId;
    private final Instant now;

    ItemWrites(Handle h, String datasetId, Instant now) {
        this.h = h;
        this.datasetId = datasetId;
        this.now = now;
    }

    /**
     * Locks the dataset's row until the transaction ends.
     *
     * @throws NotFoundException when the dataset does not exist
     */
    void lock() {
        h.createQuery(DatasetSql.LOCK_DATASET).bind("id", datasetId).mapTo(Integer.class).findOne()
                .orElseThrow(() -> new NotFoundException("Dataset", datasetId));
    }

    /**
     * Checks that every added id is not a current item and every updated or deleted one is; reads only.
     *
     * @throws DuplicateException when an added id is a current item
     * @throws NotFoundException  when an updated or deleted id is not a current item
     */
    void check(List<ItemChange> changes) {
        String[] ids = changes.stream().map(ItemChange::itemId).toArray(String[]::new);
        Set<String> current = new HashSet<>(h.createQuery(DatasetSql.CURRENT_ITEM_IDS)
                .bind("datasetId", datasetId).bind("ids", ids).mapTo(String.class).list());
        List<String> duplicates = new ArrayList<>();
        for (ItemChange c : changes) {
            if (c instanceof ItemChange.Add && current.contains(c.itemId())) {
                duplicates.add(c.itemId());
            } else if (!(c instanceof ItemChange.Add) && !current.contains(c.itemId())) {
                throw new NotFoundException("DatasetItem", datasetId + "/" + c.itemId());
            }
        }
        if (!duplicates.isEmpty()) {
            throw new DuplicateException("DatasetItem " + datasetId + ": items already exist: " + duplicates, null,
                    duplicates);
        }
    }

    /** @return the dataset's next version number, now its current one */
    int nextVersion() {
        return h.createQuery(DatasetSql.NEXT_VERSION).bind("id", datasetId).bind("now", now).mapTo(Integer.class)
                .one();
    }

    /**
     * Closes the current revisions of the changed items (updates, deletes, and for an import every id, whether it is
     * current or not) and inserts the new revisions of the added and updated ones.
     *
     * @return how many items were changed
     */
    int write(int version, List<ItemChange> changes) {
        List<String> closed = new ArrayList<>();
        List<ItemChange> rows = new ArrayList<>();
        for (ItemChange c : changes) {
            if (!(c instanceof ItemChange.Add)) {
                closed.add(c.itemId());
            }
            if (!(c instanceof ItemChange.Delete)) {
                rows.add(c);
            }
        }
        close(version, closed);
        insert(version, rows);
        return changes.size();
    }

    /** Closes the current revisions of {@code ids}; returns how many there were. */
    int close(int version, List<String> ids) {
        if (ids.isEmpty()) {
            return 0;
        }
        return h.createUpdate(DatasetSql.CLOSE_ITEMS).bind("datasetId", datasetId).bind("version", version)
                .bind("ids", ids.toArray(String[]::new)).execute();
    }

    /** Inserts revisions valid from {@code version}, one statement; the changes are adds or updates. */
    void insert(int version, List<ItemChange> rows) {
        if (rows.isEmpty()) {
            return;
        }
        List<Revision> revisions = rows.stream().map(Revision::of).toList();
        Map<String, Object> values = UnnestColumns.rows(revisions.size())
                .column("ids", String.class, i -> revisions.get(i).itemId())
                .column("inputs", String.class, i -> Json.print(revisions.get(i).input()))
                .column("expectedOutputs", String.class, i -> revisions.get(i).expectedOutput() == null ? null
                        : Json.print(revisions.get(i).expectedOutput()))
                .column("metadatas", String.class, i -> Json.print(revisions.get(i).metadata()))
                .values();
        h.createUpdate(DatasetSql.INSERT_ITEMS)
                .bind("datasetId", datasetId).bind("version", version).bind("now", now)
                .bindMap(values)
                .execute();
    }

    /** Records the version. */
    DatasetVersion record(int version, int changes) {
        long id = h.createQuery(DatasetSql.INSERT_VERSION).bind("datasetId", datasetId).bind("version", version)
                .bind("changes", changes).bind("now", now).mapTo(Long.class).one();
        return DatasetVersion.recorded(id, datasetId, version, changes, now);
    }

    /** The content of a new item revision: an add's or an update's. */
    private record Revision(String itemId, JsonNode input, JsonNode expectedOutput, JsonNode metadata) {

        static Revision of(ItemChange change) {
            if (change instanceof ItemChange.Add a) {
                return new Revision(a.itemId(), a.input(), a.expectedOutput(), a.metadata());
            }
            if (change instanceof ItemChange.Update u) {
                return new Revision(u.itemId(), u.input(), u.expectedOutput(), u.metadata());
            }
            throw new IllegalArgumentException("not an add or an update: " + change);
        }
    }
}
