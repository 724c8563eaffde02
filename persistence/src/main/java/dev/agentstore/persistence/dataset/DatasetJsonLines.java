package dev.agentstore.persistence.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.domain.json.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The JSON Lines form of dataset items: one JSON object per line,
 * {@code {"id":"q1","input":...,"expectedOutput":...,"metadata":{...}}}. {@code id} is optional on import (a random
 * UUID is given), {@code input} is required, {@code expectedOutput} is absent when the item has none (a JSON
 * {@code null} is an expected output of {@code null}), {@code metadata} is optional (an object). No other member is
 * accepted. Blank lines are skipped.
 */
final class DatasetJsonLines {

    /** Items an import writes per statement. */
    static final int IMPORT_BATCH = 500;

    private static final Set<String> MEMBERS = Set.of("id", "input", "expectedOutput", "metadata");

    private DatasetJsonLines() {
    }

    /** @return the item as one line, without the line break */
    static String print(DatasetItem item) {
        ObjectNode line = Json.object();
        line.put("id", item.itemId());
        line.set("input", item.input());
        if (item.expectedOutput() != null) {
            line.set("expectedOutput", item.expectedOutput());
        }
        line.set("metadata", item.metadata());
        return Json.print(line);
    }

    /**
     * @param number the line's number, from 1, for messages
     * @param text   the line
     * @return the item the line holds, as an addition
     * @throws InvalidInputException when the line is not such an object; the message names the line number
     */
    static ItemChange.Add parse(long number, String text) {
        String where = "line " + number;
        JsonNode line = Json.parse(where, text);
        if (!line.isObject()) {
            throw new InvalidInputException(where + ": must be a JSON object");
        }
        for (Iterator<String> names = line.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!MEMBERS.contains(name)) {
                throw new InvalidInputException(where + ": unknown member '" + name + "'; expected " + MEMBERS);
            }
        }
        JsonNode id = line.get("id");
        if (id != null && !id.isTextual()) {
            throw new InvalidInputException(where + ": id must be a string");
        }
        if (!line.has("input")) {
            throw new InvalidInputException(where + ": input is required");
        }
        try {
            return ItemChange.add(id == null ? UUID.randomUUID().toString() : id.textValue(), line.get("input"),
                    line.get("expectedOutput"), line.get("metadata"));
        } catch (InvalidInputException e) {
            throw new InvalidInputException(where + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes one item as a line.
     *
     * @throws UncheckedIOException when the writer fails
     */
    static void write(Writer out, DatasetItem item) {
        try {
            out.write(print(item));
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads every line and writes the items {@value #IMPORT_BATCH} per statement, as revisions valid from
     * {@code version}: each batch first closes the current revisions of its ids (a replaced item), then inserts.
     *
     * @param writes  the import's writes (the dataset's row is locked)
     * @param version the import's version
     * @param reader  the lines
     * @param check   the store's JSON checks of one item
     * @return how many items were imported
     * @throws InvalidInputException when a line is invalid or there is no item
     * @throws DuplicateException    when an id appears twice in one batch (across batches the insert fails with it)
     * @throws UncheckedIOException  when reading fails
     */
    static int importAll(ItemWrites writes, int version, BufferedReader reader, Consumer<ItemChange> check) {
        List<ItemChange> batch = new ArrayList<>(IMPORT_BATCH);
        Set<String> batchIds = new HashSet<>();
        int count = 0;
        long number = 0;
        for (String text = readLine(reader); text != null; text = readLine(reader)) {
            number++;
            if (text.isBlank()) {
                continue;
            }
            ItemChange.Add item = parse(number, text);
            check.accept(item);
            if (!batchIds.add(item.itemId())) {
                throw new DuplicateException("DatasetItem " + item.itemId() + ": appears twice in the import", null,
                        List.of(item.itemId()));
            }
            batch.add(item);
            count++;
            if (batch.size() == IMPORT_BATCH) {
                flush(writes, version, batch);
                batchIds.clear();
            }
        }
        flush(writes, version, batch);
        if (count == 0) {
            throw new InvalidInputException("in: no item to import");
        }
        return count;
    }

    private static void flush(ItemWrites writes, int version, List<ItemChange> batch) {
        writes.close(version, batch.stream().map(ItemChange::itemId).toList());
        writes.insert(version, batch);
        batch.clear();
    }

    private static String readLine(BufferedReader reader) {
        try {
            return reader.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
