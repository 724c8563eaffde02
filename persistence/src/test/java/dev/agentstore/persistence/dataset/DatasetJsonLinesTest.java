package dev.agentstore.persistence.dataset;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.dataset.DatasetVersion;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.agentstore.persistence.dataset.DatasetRepositoryTest.add;
import static dev.agentstore.persistence.dataset.DatasetRepositoryTest.json;
import static dev.agentstore.persistence.dataset.DatasetRepositoryTest.newDataset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class DatasetJsonLinesTest {

    private static String export(AgentStore store, String id, int version) {
        StringWriter out = new StringWriter();
        store.datasets().exportJsonLines(id, version, out);
        return out.toString();
    }

    @Nested
    class Export {

        @Test
        void exportWritesOneLinePerItemOfTheVersionInIdOrder(AgentStore store) {
            String id = newDataset(store);
            store.datasets().apply(id, List.of(ItemChange.add("b", json("{\"q\":\"2\"}"), null, json("{\"t\":1}")),
                    ItemChange.add("a", json("\"1\""), json("[1,2]"), null)));
            store.datasets().apply(id, List.of(ItemChange.delete("b")));

            assertThat(export(store, id, 1)).isEqualTo("""
                    {"id":"a","input":"1","expectedOutput":[1,2],"metadata":{}}
                    {"id":"b","input":{"q":"2"},"metadata":{"t":1}}
                    """);
            assertThat(export(store, id, 2)).isEqualTo("""
                    {"id":"a","input":"1","expectedOutput":[1,2],"metadata":{}}
                    """);
            assertThat(export(store, id, 0)).isEmpty();
        }

        @Test
        void aFailingWriterIsReportedAndAMissingVersionIsNotFound(AgentStore store) {
            String id = newDataset(store);
            store.datasets().addItem(id, add("a", "1", null));
            Writer broken = new Writer() {
                @Override
                public void write(char[] buf, int off, int len) throws IOException {
                    throw new IOException("disk full");
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            };

            assertThatThrownBy(() -> store.datasets().exportJsonLines(id, 1, broken))
                    .isInstanceOf(AgentStoreException.class).hasMessageContaining("writing failed");
            assertThatThrownBy(() -> store.datasets().exportJsonLines(id, 2, new StringWriter()))
                    .isInstanceOf(NotFoundException.class);
        }
    }

    @Nested
    class Import {

        @Test
        void anExportImportedIntoAnotherDatasetGivesTheSameItems(AgentStore store) {
            String source = newDataset(store);
            store.datasets().apply(source, IntStream.range(0, 1200)
                    .mapToObj(i -> (ItemChange) ItemChange.add(String.format("i%05d", i), json("{\"n\":" + i + "}"),
                            i % 3 == 0 ? null : json("\"e" + i + "\""), json("{\"i\":" + i + "}")))
                    .toList());
            String lines = export(store, source, 1);
            String target = newDataset(store);

            DatasetVersion imported = store.datasets().importJsonLines(target, new StringReader(lines));

            assertThat(imported.version()).isEqualTo(1);
            assertThat(imported.changes()).isEqualTo(1200);
            assertThat(export(store, target, 1)).isEqualTo(lines);
        }

        @Test
        void aLineForACurrentItemReplacesItAndALineWithoutIdAddsOne(AgentStore store) {
            String id = newDataset(store);
            store.datasets().apply(id, List.of(add("a", "old", null), add("b", "kept", null)));

            DatasetVersion v2 = store.datasets().importJsonLines(id, new StringReader("""
                    {"id":"a","input":"new"}

                    {"input":"anonymous","expectedOutput":null}
                    """));

            assertThat(v2.version()).isEqualTo(2);
            assertThat(v2.changes()).isEqualTo(2);
            assertThat(store.datasets().item(id, "a", 2).orElseThrow().input()).isEqualTo(json("\"new\""));
            assertThat(store.datasets().item(id, "a", 1).orElseThrow().input()).isEqualTo(json("{\"q\":\"old\"}"));
            List<DatasetItem> items = store.datasets().items(id, 2, null, 10);
            assertThat(items).hasSize(3);
            assertThat(items).filteredOn(i -> !List.of("a", "b").contains(i.itemId())).singleElement()
                    .satisfies(i -> assertThat(i.expectedOutput()).isEqualTo(json("null")));
        }

        @Test
        void aBadLineFailsTheImportNamingItsNumberAndKeepsNothing(AgentStore store) {
            String id = newDataset(store);
            store.datasets().addItem(id, add("a", "1", null));
            String many = IntStream.range(0, 700).mapToObj(i -> "{\"id\":\"n" + i + "\",\"input\":1}")
                    .collect(Collectors.joining("\n"));

            assertThatThrownBy(() -> store.datasets().importJsonLines(id, new StringReader(many + "\n{\"input\":1,"
                    + "\"extra\":2}\n"))).isInstanceOf(InvalidInputException.class).hasMessageContaining("line 701")
                    .hasMessageContaining("extra");
            assertThatThrownBy(() -> store.datasets().importJsonLines(id, new StringReader("{\"id\":\"x\"}")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("line 1: input is required");
            assertThatThrownBy(() -> store.datasets().importJsonLines(id, new StringReader("[1]")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("line 1");
            assertThatThrownBy(() -> store.datasets().importJsonLines(id, new StringReader("{not json")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("line 1");
            assertThatThrownBy(() -> store.datasets().importJsonLines(id, new StringReader("\n \n")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("no item");

            assertThat(store.datasets().get(id).orElseThrow().version()).isEqualTo(1);
            assertThat(store.datasets().history(id, "n0")).isEmpty();
        }

        @Test
        void anIdOnTwoLinesIsADuplicateInOneBatchOrAcrossBatchesAndKeepsNothing(AgentStore store) {
            String id = newDataset(store);
            String near = "{\"id\":\"d\",\"input\":1}\n{\"id\":\"d\",\"input\":2}\n";
            String far = "{\"id\":\"d\",\"input\":1}\n" + IntStream.range(0, DatasetRepository.IMPORT_BATCH)
                    .mapToObj(i -> "{\"id\":\"f" + i + "\",\"input\":1}\n").collect(Collectors.joining())
                    + "{\"id\":\"d\",\"input\":2}\n";

            assertThatThrownBy(() -> store.datasets().importJsonLines(id, new StringReader(near)))
                    .isInstanceOf(DuplicateException.class);
            assertThatThrownBy(() -> store.datasets().importJsonLines(id, new StringReader(far)))
                    .isInstanceOf(DuplicateException.class);
            assertThat(store.datasets().get(id).orElseThrow().version()).isZero();
            assertThat(store.datasets().history(id, "f0")).isEmpty();
        }

        @Test
        void aFailingReaderIsReportedAndKeepsNothing(AgentStore store) {
            String id = newDataset(store);
            Reader broken = new Reader() {
                private int calls;

                @Override
                public int read(char[] buf, int off, int len) throws IOException {
                    if (calls++ == 0) {
                        String line = "{\"id\":\"ok\",\"input\":1}\n";
                        line.getChars(0, line.length(), buf, off);
                        return line.length();
                    }
                    throw new IOException("connection reset");
                }

                @Override
                public void close() {
                }
            };

            assertThatThrownBy(() -> store.datasets().importJsonLines(id, broken))
                    .isInstanceOf(AgentStoreException.class).hasMessageContaining("reading failed");
            assertThat(store.datasets().get(id).orElseThrow().version()).isZero();
        }

        @Test
        void importingIntoAMissingDatasetIsNotFound(AgentStore store) {
            assertThatThrownBy(() -> store.datasets().importJsonLines("ds-none", new StringReader("{\"input\":1}")))
                    .isInstanceOf(NotFoundException.class);
        }
    }
}
