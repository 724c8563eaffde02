package dev.agentstore.persistence.dataset;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.dataset.Dataset;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.dataset.DatasetVersion;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import org.jdbi.v3.core.Handle;

import java.io.BufferedReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Datasets and their versioned items: create, read, list, update, delete datasets; change items (each call of
 * {@link #apply} makes one new dataset version), read items as of any version, an item's history, the versions, and
 * the JSON Lines export and import ({@link #exportJsonLines}, {@link #importJsonLines}).
 *
 * <p><b>Versions.</b> A dataset starts at version 0 with no items. {@link #apply} and {@link #importJsonLines} lock
 * the dataset's row ({@code SELECT ... FOR UPDATE}) for the rest of the transaction, then take {@code version + 1}:
 * concurrent changes of one dataset queue, and their versions are 1, 2, 3... without duplicates or gaps (a change
 * that rolls back takes its number with it). Under REPEATABLE READ or SERIALIZABLE a change that waited for the
 * lock fails with {@link dev.agentstore.domain.ConcurrencyConflictException} instead (retry the unit of work). Keep
 * transactions that change items short.
 *
 * <p><b>Storage.</b> Each item revision is one row valid for the versions {@code [validFrom, validTo)}: a change
 * writes one row per changed item and closes the row it replaces, so a version costs rows in proportion to what it
 * changed, never a copy of the dataset. Reading "as of version v" selects the rows whose range contains {@code v}.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. The statements run through {@link Sql} on the
 * unit of work's connection; the entities handed out are built from the rows read, immutable and attached to no
 * persistence context. Standalone: {@code store.datasets()} (each call its own transaction) or
 * {@code store.fromTransaction(uow -> uow.datasets()...)}; in a container inject it. Thread-safe as far as its
 * entity manager is (one per transaction).
 */
@ApplicationScoped
public class DatasetRepository extends AbstractRepository {

    /** Largest accepted {@code limit} of the listings. */
    public static final int MAX_LIMIT = 1000;

    /** Most changes accepted by one {@link #apply} call; {@link #importJsonLines} has no limit. */
    public static final int MAX_CHANGES = 10_000;

    /** Items an import writes per statement. */
    static final int IMPORT_BATCH = DatasetJsonLines.IMPORT_BATCH;

    /** Rows the export's cursor fetches per round trip. */
    static final int EXPORT_FETCH_SIZE = 500;

    /**
     * Creates an empty dataset at version 0. One statement.
     *
     * @param id          the dataset's id, 1–255 characters
     * @param name        its name, 1–255 characters
     * @param description a description up to 10,000 characters, or {@code null}
     * @param metadata    a JSON object, or {@code null} for {@code {}}
     * @return the dataset as stored
     * @throws InvalidInputException when a value is invalid (the message names it); nothing is written
     * @throws DuplicateException    when a dataset with this id exists
     */
    public Dataset create(String id, String name, String description, JsonNode metadata) {
        Map<String, Object> values = datasetParameters(id, name, description, metadata);
        return Sql.call(em, "create Dataset " + id, h -> h.createQuery(DatasetSql.INSERT_DATASET)
                .bindMap(values).map(DatasetSql.DATASET).one());
    }

    /**
     * Reads a dataset. One query.
     *
     * @param id the dataset's id
     * @return the dataset, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<Dataset> get(String id) {
        Dataset.requireId("id", id);
        return Sql.call(em, "get Dataset " + id, h -> h.createQuery(DatasetSql.GET_DATASET)
                .bind("id", id).map(DatasetSql.DATASET).findOne());
    }

    /**
     * Lists datasets by id (code point order), one keyset page at a time: pass {@code null} for the first page and
     * the last id of a page for the next; a page shorter than {@code limit} is the last. One query.
     *
     * @param afterId the last id of the previous page (exclusive), or {@code null}
     * @param limit   the most datasets to return, 1 to {@value #MAX_LIMIT}
     * @return the datasets; unmodifiable
     * @throws InvalidInputException when the cursor or limit is invalid
     */
    public List<Dataset> list(String afterId, int limit) {
        String after = afterId == null ? "" : Dataset.requireId("afterId", afterId);
        Check.range("limit", limit, 1, MAX_LIMIT);
        return Sql.call(em, "list Datasets", h -> h.createQuery(DatasetSql.LIST_DATASETS)
                .bind("after", after).bind("limit", limit).map(DatasetSql.DATASET)
                .collect(Collectors.toUnmodifiableList()));
    }

    /**
     * Replaces a dataset's name, description and metadata; its items and version do not change. One statement.
     *
     * @param id          the dataset's id
     * @param name        the new name, 1–255 characters
     * @param description the new description, or {@code null}
     * @param metadata    the new metadata, a JSON object, or {@code null} for {@code {}}
     * @return the dataset as stored
     * @throws InvalidInputException when a value is invalid; nothing is written
     * @throws NotFoundException     when there is no such dataset
     */
    public Dataset update(String id, String name, String description, JsonNode metadata) {
        Map<String, Object> values = datasetParameters(id, name, description, metadata);
        return Sql.call(em, "update Dataset " + id, h -> h.createQuery(DatasetSql.UPDATE_DATASET)
                .bindMap(values).map(DatasetSql.DATASET).findOne())
                .orElseThrow(() -> new NotFoundException("Dataset", id));
    }

    /**
     * Deletes a dataset with its versions, items, and the experiments run over it (with their results and their
     * {@code scores} rows, entity {@code EXPERIMENT}). Three statements.
     *
     * @param id the dataset's id
     * @return whether there was such a dataset
     * @throws InvalidInputException when the id is invalid
     */
    public boolean delete(String id) {
        Dataset.requireId("id", id);
        return Sql.call(em, "delete Dataset " + id, h -> {
            String[] experiments = h.createQuery(DatasetSql.DELETE_EXPERIMENTS).bind("id", id).mapTo(String.class)
                    .list().toArray(String[]::new);
            if (experiments.length > 0) {
                h.createUpdate(DatasetSql.DELETE_EXPERIMENT_SCORES).bind("ids", experiments).execute();
            }
            return h.createUpdate(DatasetSql.DELETE_DATASET).bind("id", id).execute();
        }) > 0;
    }

    /**
     * Changes a dataset's items: every change of the call together makes one new version. Adds must name ids that
     * are not current items, updates and deletes ids that are; an id may appear once per call. Five statements
     * whatever the number of changes (lock, check, version, close, insert) plus the version's row.
     *
     * @param datasetId the dataset's id
     * @param changes   1 to {@value #MAX_CHANGES} changes
     * @return the new version
     * @throws InvalidInputException when a value is invalid, the list is empty or too long, or an id appears twice;
     *                               nothing is written
     * @throws NotFoundException     when the dataset does not exist, or an updated or deleted item is not a current
     *                               item of it; nothing is written
     * @throws DuplicateException    when an added id is a current item; nothing is written
     */
    public DatasetVersion apply(String datasetId, List<ItemChange> changes) {
        Dataset.requireId("datasetId", datasetId);
        Check.noNulls("changes", changes);
        if (changes.isEmpty() || changes.size() > MAX_CHANGES) {
            throw new InvalidInputException("changes must hold 1 to " + MAX_CHANGES + " changes, held "
                    + changes.size());
        }
        List<ItemChange> valid = List.copyOf(changes);
        Set<String> ids = new HashSet<>();
        for (ItemChange c : valid) {
            if (!ids.add(c.itemId())) {
                throw new InvalidInputException("changes: item " + c.itemId() + " appears more than once");
            }
            checkJson(c);
        }
        Instant now = now();
        return Sql.call(em, "change Dataset " + datasetId + " items", h -> {
            ItemWrites writes = new ItemWrites(h, datasetId, now);
            writes.lock();
            writes.check(valid);
            int version = writes.nextVersion();
            return writes.record(version, writes.write(version, valid));
        });
    }

    /**
     * Adds one item: {@link #apply} with one {@link ItemChange.Add}.
     *
     * @param datasetId the dataset's id
     * @param item      the addition
     * @return the new version
     * @throws InvalidInputException when a value is invalid; nothing is written
     * @throws NotFoundException     when the dataset does not exist
     * @throws DuplicateException    when the item's id is a current item
     */
    public DatasetVersion addItem(String datasetId, ItemChange.Add item) {
        return apply(datasetId, List.of(Check.notNull("item", item)));
    }

    /**
     * Reads an item as of a version. One query after the version's check.
     *
     * @param datasetId the dataset's id
     * @param itemId    the item's id
     * @param version   a version of the dataset, 0 to its current version
     * @return the item's revision of that version, or empty when the item was not in it
     * @throws InvalidInputException when a value is invalid
     * @throws NotFoundException     when the dataset does not exist or has no such version yet
     */
    public Optional<DatasetItem> item(String datasetId, String itemId, int version) {
        Dataset.requireId("datasetId", datasetId);
        Dataset.requireId("itemId", itemId);
        return Sql.call(em, "get DatasetItem " + datasetId + "/" + itemId, h -> {
            requireVersion(h, datasetId, version);
            return h.createQuery(DatasetSql.ITEM_AT).bind("datasetId", datasetId).bind("itemId", itemId)
                    .bind("version", version).map(DatasetSql.ITEM).findOne();
        });
    }

    /**
     * Lists the items as of a version, by item id (code point order), one keyset page at a time: pass {@code null}
     * for the first page and the last item id of a page for the next; a page shorter than {@code limit} is the
     * last. Two queries (the version's check, the page).
     *
     * @param datasetId   the dataset's id
     * @param version     a version of the dataset, 0 to its current version
     * @param afterItemId the last item id of the previous page (exclusive), or {@code null}
     * @param limit       the most items to return, 1 to {@value #MAX_LIMIT}
     * @return the items' revisions of that version; unmodifiable
     * @throws InvalidInputException when a value is invalid
     * @throws NotFoundException     when the dataset does not exist or has no such version yet
     */
    public List<DatasetItem> items(String datasetId, int version, String afterItemId, int limit) {
        Dataset.requireId("datasetId", datasetId);
        String after = afterItemId == null ? "" : Dataset.requireId("afterItemId", afterItemId);
        Check.range("limit", limit, 1, MAX_LIMIT);
        return Sql.call(em, "list DatasetItems " + datasetId + " version " + version, h -> {
            requireVersion(h, datasetId, version);
            return h.createQuery(DatasetSql.ITEMS_AT).bind("datasetId", datasetId).bind("version", version)
                    .bind("after", after).bind("limit", limit).map(DatasetSql.ITEM)
                    .collect(Collectors.toUnmodifiableList());
        });
    }

    /**
     * Counts the items of a version. Two queries.
     *
     * @param datasetId the dataset's id
     * @param version   a version of the dataset, 0 to its current version
     * @return how many items the version holds
     * @throws InvalidInputException when a value is invalid
     * @throws NotFoundException     when the dataset does not exist or has no such version yet
     */
    public long countItems(String datasetId, int version) {
        Dataset.requireId("datasetId", datasetId);
        return Sql.call(em, "count DatasetItems " + datasetId + " version " + version, h -> {
            requireVersion(h, datasetId, version);
            return h.createQuery(DatasetSql.COUNT_AT).bind("datasetId", datasetId).bind("version", version)
                    .mapTo(Long.class).one();
        });
    }

    /**
     * Reads every revision of an item, oldest first: the first was added at its {@code validFrom}; a revision whose
     * {@code validTo} is not followed by one starting there was deleted then. One query.
     *
     * @param datasetId the dataset's id
     * @param itemId    the item's id
     * @return the revisions; empty when the item never existed; unmodifiable
     * @throws InvalidInputException when a value is invalid
     */
    public List<DatasetItem> history(String datasetId, String itemId) {
        Dataset.requireId("datasetId", datasetId);
        Dataset.requireId("itemId", itemId);
        return Sql.call(em, "list DatasetItem history " + datasetId + "/" + itemId, h -> h
                .createQuery(DatasetSql.HISTORY).bind("datasetId", datasetId).bind("itemId", itemId)
                .map(DatasetSql.ITEM).collect(Collectors.toUnmodifiableList()));
    }

    /**
     * Lists a dataset's versions, newest first, one keyset page at a time: pass {@code null} for the first page and
     * the lowest version number of a page for the next. One query.
     *
     * @param datasetId     the dataset's id
     * @param beforeVersion the lowest version of the previous page (exclusive), or {@code null}
     * @param limit         the most versions to return, 1 to {@value #MAX_LIMIT}
     * @return the versions; unmodifiable
     * @throws InvalidInputException when a value is invalid
     */
    public List<DatasetVersion> versions(String datasetId, Integer beforeVersion, int limit) {
        Dataset.requireId("datasetId", datasetId);
        int before = beforeVersion == null ? Integer.MAX_VALUE : Check.range("beforeVersion", beforeVersion, 1,
                Integer.MAX_VALUE);
        Check.range("limit", limit, 1, MAX_LIMIT);
        return Sql.call(em, "list DatasetVersions " + datasetId, h -> h.createQuery(DatasetSql.VERSIONS)
                .bind("datasetId", datasetId).bind("before", before).bind("limit", limit)
                .map(DatasetSql.VERSION).collect(Collectors.toUnmodifiableList()));
    }

    /**
     * Writes the items of a version as JSON Lines (one object per line with {@code id}, {@code input},
     * {@code expectedOutput} when there is one, {@code metadata}), by item id. Streams: the rows are
     * read through a cursor {@value #EXPORT_FETCH_SIZE} at a time and written as they come, so memory does not grow
     * with the dataset. Needs a transaction (the cursor lives in it): a unit of work, a container transaction, or
     * {@code store.datasets()}, whose calls each run in one. The writer is not closed.
     *
     * @param datasetId the dataset's id
     * @param version   a version of the dataset, 0 to its current version
     * @param out       where the lines go (UTF-8 is the format's encoding)
     * @return how many items were written
     * @throws InvalidInputException when a value is invalid
     * @throws NotFoundException     when the dataset does not exist or has no such version yet
     * @throws AgentStoreException   when writing to {@code out} fails
     */
    public long exportJsonLines(String datasetId, int version, Writer out) {
        Dataset.requireId("datasetId", datasetId);
        Check.notNull("out", out);
        return Sql.call(em, "export Dataset " + datasetId + " version " + version, h -> {
            requireVersion(h, datasetId, version);
            try {
                return h.createQuery(DatasetSql.ALL_ITEMS_AT).bind("datasetId", datasetId).bind("version", version)
                        .setFetchSize(EXPORT_FETCH_SIZE).map(DatasetSql.ITEM)
                        .reduce(0L, (count, item) -> {
                            DatasetJsonLines.write(out, item);
                            return count + 1;
                        });
            } catch (UncheckedIOException e) {
                throw new AgentStoreException("export Dataset " + datasetId + ": writing failed", e.getCause());
            }
        });
    }

    /**
     * Reads JSON Lines (the format of {@link #exportJsonLines}) into a dataset as one new version: a line whose id is
     * a current item replaces it, any other line adds an item. Streams: lines are written {@value #IMPORT_BATCH} per
     * statement as they are read, so memory does not grow with the input. Runs under a savepoint: when a line is
     * invalid, an id appears twice, or reading fails, everything the import wrote is taken back before the
     * exception leaves. The reader is not closed.
     *
     * @param datasetId the dataset's id
     * @param in        the lines (UTF-8 is the format's encoding)
     * @return the new version; its {@link DatasetVersion#changes()} is the number of lines imported
     * @throws InvalidInputException when a line is invalid (the message names its number) or the input has no item;
     *                               nothing is kept
     * @throws DuplicateException    when an id appears on two lines; nothing is kept
     * @throws NotFoundException     when the dataset does not exist
     * @throws AgentStoreException   when reading {@code in} fails; nothing is kept
     */
    public DatasetVersion importJsonLines(String datasetId, Reader in) {
        Dataset.requireId("datasetId", datasetId);
        Check.notNull("in", in);
        Instant now = now();
        return Sql.call(em, "import Dataset " + datasetId, h -> {
            Sql.requireTransaction(h);
            ItemWrites writes = new ItemWrites(h, datasetId, now);
            writes.lock();
            h.execute("SAVEPOINT agentstore_dataset_import");
            try {
                int version = writes.nextVersion();
                int count = DatasetJsonLines.importAll(writes, version, new BufferedReader(in, 1 << 16), this::checkJson);
                DatasetVersion recorded = writes.record(version, count);
                h.execute("RELEASE SAVEPOINT agentstore_dataset_import");
                return recorded;
            } catch (RuntimeException e) {
                h.execute("ROLLBACK TO SAVEPOINT agentstore_dataset_import");
                if (e instanceof UncheckedIOException io) {
                    throw new AgentStoreException("import Dataset " + datasetId + ": reading failed", io.getCause());
                }
                throw e;
            }
        });
    }

    /** @throws NotFoundException when the dataset does not exist or {@code version} is above its current one */
    private static void requireVersion(Handle h, String datasetId, int version) {
        Check.range("version", version, 0, Integer.MAX_VALUE);
        int current = h.createQuery(DatasetSql.GET_DATASET).bind("id", datasetId).map(DatasetSql.DATASET)
                .findOne().orElseThrow(() -> new NotFoundException("Dataset", datasetId)).version();
        if (version > current) {
            throw new NotFoundException("DatasetVersion", datasetId + " version " + version + " (current "
                    + current + ")");
        }
    }

    private void checkJson(ItemChange c) {
        if (c instanceof ItemChange.Add a) {
            JsonWrites.check(em, "input", a.input());
            JsonWrites.check(em, "expectedOutput", a.expectedOutput());
            JsonWrites.check(em, "metadata", a.metadata());
        } else if (c instanceof ItemChange.Update u) {
            JsonWrites.check(em, "input", u.input());
            JsonWrites.check(em, "expectedOutput", u.expectedOutput());
            JsonWrites.check(em, "metadata", u.metadata());
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    /** Checks a dataset's values before anything is sent; returns them as the statements' parameters. */
    private Map<String, Object> datasetParameters(String id, String name, String description, JsonNode metadata) {
        Dataset.requireId("id", id);
        Check.name("name", name);
        Dataset.requireDescription(description);
        JsonNode meta = DatasetItem.requireObject("metadata", JsonWrites.check(em, "metadata", metadata));
        return Sql.parameters("id", id, "name", name, "description", description, "metadata", Json.print(meta),
                "now", now());
    }
}
