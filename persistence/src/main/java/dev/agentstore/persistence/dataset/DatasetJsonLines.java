package dev.agentstore.persistence.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.domain.json.Json;

import java.util.Iterator;
import java.util.Set;
import java.util.UUID;

/**
 * The JSON Lines form of dataset items: one JSON object per line,
 * {@code {"id":"q1","input":...,"expectedOutput":...,"metadata":{...}}}. {@code id} is optional on import (a random
 * UUID is given), {@code input} is required, {@code expectedOutput} is absent when the item has none (a JSON
 * {@code null} is an expected output of {@code null}), {@code metadata} is optional (an object). No other member is
 * accepted. Blank lines are skipped.
 */
final class DatasetJsonLines {

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
}
