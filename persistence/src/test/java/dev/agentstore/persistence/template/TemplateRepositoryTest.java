package dev.agentstore.persistence.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.template.Template;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class TemplateRepositoryTest {

    /** Each call in its own transaction, with a concrete return type (AssertJ's overloads need one). */
    private record Tx(AgentStore store) {
        Template define(String id, String content) {
            return store.fromTransaction(uow -> uow.templates().define(id, content));
        }

        Template define(String id, String content, String description, JsonNode variables, JsonNode meta) {
            return store.fromTransaction(uow -> uow.templates().define(id, content, description, variables, meta));
        }

        Optional<Template> latest(String id) {
            return store.fromTransaction(uow -> uow.templates().latest(id));
        }

        Optional<Template> get(String id, int revision) {
            return store.fromTransaction(uow -> uow.templates().get(id, revision));
        }

        List<Template> history(String id) {
            return store.fromTransaction(uow -> uow.templates().history(id));
        }

        List<Template> history(String id, int limit) {
            return store.fromTransaction(uow -> uow.templates().history(id, limit));
        }

        List<Template> listLatest(String after, int limit) {
            return store.fromTransaction(uow -> uow.templates().listLatest(after, limit));
        }

        int remove(String id) {
            return store.fromTransaction(uow -> uow.templates().remove(id));
        }
    }

    private static Tx in(AgentStore store) {
        return new Tx(store);
    }

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }

    @Nested
    class Define {

        @Test
        void definingNumbersRevisionsFromOnePerIdentifierAndLatestIsTheNewest(AgentStore store) {
            Template first = in(store).define("greeting", "Hello");
            Template second = in(store).define("greeting", "Hello {{name}}");
            Template other = in(store).define("farewell", "Bye");

            assertThat(first.revision()).isEqualTo(1);
            assertThat(second.revision()).isEqualTo(2);
            assertThat(other.revision()).isEqualTo(1);
            assertThat(in(store).latest("greeting"))
                    .hasValueSatisfying(t -> {
                        assertThat(t.revision()).isEqualTo(2);
                        assertThat(t.content()).isEqualTo("Hello {{name}}");
                        assertThat(t.id()).isEqualTo(second.id());
                    });
            assertThat(in(store).latest("never-defined")).isEmpty();
        }

        @Test
        void aRevisionKeepsDescriptionContentVariablesMetaAndCreationTime(AgentStore store, MutableClock clock) {
            clock.set(Instant.parse("2025-03-01T10:15:30.123456789Z"));
            JsonNode variables = json("{\"name\":{\"type\":\"string\"},\"zero\":0,\"no\":false,\"empty\":\"\",\"nil\":null}");
            JsonNode meta = json("{\"owner\":\"team-a\",\"price\":1.50}");
            Template defined = store.fromTransaction(uow -> uow.templates()
                    .define("full", "Dear {{name}},\n", "a letter", variables, meta));

            Template read = in(store).latest("full").orElseThrow();
            assertThat(read.identifier()).isEqualTo("full");
            assertThat(read.description()).isEqualTo("a letter");
            assertThat(read.content()).isEqualTo("Dear {{name}},\n");
            assertThat(read.variables()).isEqualTo(variables);
            assertThat(read.meta()).isEqualTo(meta);
            assertThat(read.created()).isEqualTo(Instant.parse("2025-03-01T10:15:30.123456Z"));
            assertThat(defined.created()).isEqualTo(read.created());
            assertThat(defined.variables()).isEqualTo(variables);
        }

        @Test
        void variablesAndMetaDefaultToEmptyObjectsAndDescriptionToNull(AgentStore store) {
            store.inTransaction(uow -> uow.templates().define("defaults", "x"));

            Template read = in(store).latest("defaults").orElseThrow();
            assertThat(read.description()).isNull();
            assertThat(read.variables()).isEqualTo(Json.object());
            assertThat(read.meta()).isEqualTo(Json.object());
        }

        @Test
        void invalidInputIsRejectedBeforeAnythingIsWritten(AgentStore store) {
            String tooLong = "x".repeat(256);
            List<Consumer<TemplateRepository>> calls = List.of(
                    r -> r.define(null, "c"),
                    r -> r.define("", "c"),
                    r -> r.define("   ", "c"),
                    r -> r.define(tooLong, "c"),
                    r -> r.define("bad\0id", "c"),
                    r -> r.define("bad", null),
                    r -> r.define("bad", ""),
                    r -> r.define("bad", "nul\0content"),
                    r -> r.define("bad", "c", "d".repeat(10_001), null, null),
                    r -> r.define("bad", "c", null, json("[1,2]"), null),
                    r -> r.define("bad", "c", null, json("\"text\""), null),
                    r -> r.define("bad", "c", null, NullNode.instance, null),
                    r -> r.define("bad", "c", null, null, json("[]")),
                    r -> r.define("bad", "c", null, null, json("3")),
                    r -> r.latest(tooLong),
                    r -> r.history(""),
                    r -> r.remove(" "));
            for (Consumer<TemplateRepository> call : calls) {
                assertThatThrownBy(() -> store.inTransaction(uow -> call.accept(uow.templates())))
                        .isInstanceOf(InvalidInputException.class);
            }
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.templates().define("bad", "c", null, json("[1]"), null)))
                    .hasMessageContaining("variables");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.templates().define("bad", "c", null, null, json("[1]"))))
                    .hasMessageContaining("meta");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.templates().define(tooLong, "c")))
                    .hasMessageContaining("identifier").hasMessageContaining("255");

            assertThat(in(store).history("bad")).isEmpty();
            assertThat(in(store).listLatest("bad", 1000))
                    .extracting(Template::identifier).noneMatch(id -> id.startsWith("bad"));
        }

        @Test
        void jsonThatPostgresqlRefusesIsInvalidInputAndRollsTheRevisionBack(AgentStore store) {
            JsonNode withNul = json("{\"s\":\"a\\u0000b\"}"); // jsonb cannot store U+0000

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.templates().define("nul-json", "first");
                uow.templates().define("nul-json", "second", null, withNul, null);
            })).isInstanceOf(InvalidInputException.class).hasMessageStartingWith("variables.s: ").hasMessageContaining("NUL");
            assertThat(in(store).history("nul-json")).isEmpty();
        }

        @Test
        void aDefineIsVisibleToLaterReadsOfItsOwnTransactionAndGoneAfterARollback(AgentStore store) {
            Optional<Template> inside = Optional.empty();
            try {
                store.inTransaction(uow -> {
                    uow.templates().define("rolled-back", "draft");
                    assertThat(uow.templates().latest("rolled-back")).isPresent();
                    assertThat(uow.templates().listLatest("rolled-bac", 1)).extracting(Template::identifier)
                            .containsExactly("rolled-back");
                    throw new IllegalStateException("abort");
                });
            } catch (IllegalStateException expected) {
                inside = in(store).latest("rolled-back");
            }
            assertThat(inside).isEmpty();
            assertThat(in(store).define("rolled-back", "final").revision()).isEqualTo(1);
        }
    }

    @Nested
    class Reads {

        @Test
        void getReturnsTheAskedRevisionAndEmptyForOneThatDoesNotExist(AgentStore store) {
            store.inTransaction(uow -> {
                uow.templates().define("pick", "one");
                uow.templates().define("pick", "two");
                uow.templates().define("pick", "three");
            });

            assertThat(in(store).get("pick", 2))
                    .hasValueSatisfying(t -> assertThat(t.content()).isEqualTo("two"));
            assertThat(in(store).get("pick", 1))
                    .hasValueSatisfying(t -> assertThat(t.content()).isEqualTo("one"));
            assertThat(in(store).get("pick", 4)).isEmpty();
            assertThat(in(store).get("other-pick", 1)).isEmpty();
            assertThatThrownBy(() -> in(store).get("pick", 0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("revision");
        }

        @Test
        void historyListsRevisionsNewestFirstAndHonoursTheLimit(AgentStore store, MutableClock clock) {
            for (int i = 1; i <= 5; i++) {
                int n = i;
                store.inTransaction(uow -> uow.templates().define("hist", "v" + n));
                clock.advance(Duration.ofSeconds(1));
            }

            List<Template> all = in(store).history("hist");
            assertThat(all).extracting(Template::revision).containsExactly(5, 4, 3, 2, 1);
            assertThat(all).extracting(Template::content).containsExactly("v5", "v4", "v3", "v2", "v1");
            assertThat(all).extracting(Template::created).isSortedAccordingTo((a, b) -> b.compareTo(a));
            assertThat(in(store).history("hist", 2))
                    .extracting(Template::revision).containsExactly(5, 4);
            assertThat(in(store).history("hist-none")).isEmpty();
            assertThatThrownBy(() -> in(store).history("hist", 0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");
        }

        @Test
        void listLatestPagesTwoHundredFiftyTemplatesByHundredReturningEachOnceAtItsNewestRevision(AgentStore store) {
            store.inTransaction(uow -> {
                for (int i = 0; i < 250; i++) {
                    String id = String.format("page-%03d", i);
                    uow.templates().define(id, id + " r1");
                    if (i % 3 == 0) {
                        uow.templates().define(id, id + " r2");
                    }
                }
            });

            List<Template> seen = new ArrayList<>();
            List<Integer> pageSizes = new ArrayList<>();
            String cursor = null;
            List<Template> page;
            do {
                String after = cursor;
                page = in(store).listLatest(after, 100);
                pageSizes.add(page.size());
                seen.addAll(page);
                cursor = page.isEmpty() ? null : page.get(page.size() - 1).identifier();
            } while (page.size() == 100);

            // other tests of this class share the schema: every page but the last is full, and the 250 come once each
            assertThat(pageSizes.subList(0, pageSizes.size() - 1)).containsOnly(100);
            assertThat(pageSizes).hasSizeGreaterThanOrEqualTo(3);
            assertThat(seen).extracting(Template::identifier).doesNotHaveDuplicates().isSorted();
            List<Template> ours = seen.stream().filter(t -> t.identifier().startsWith("page-")).toList();
            assertThat(ours).hasSize(250);
            assertThat(ours).allSatisfy(t -> {
                int i = Integer.parseInt(t.identifier().substring(5));
                assertThat(t.revision()).isEqualTo(i % 3 == 0 ? 2 : 1);
                assertThat(t.content()).isEqualTo(t.identifier() + (i % 3 == 0 ? " r2" : " r1"));
            });
        }

        @Test
        void listLatestStartsAfterTheCursorAndOrdersByCodePoint(AgentStore store) {
            store.inTransaction(uow -> {
                for (String id : List.of("zz-B", "zz-a", "zz-A", "zz-b", "zz-\u00e9")) {
                    uow.templates().define(id, "c");
                }
            });

            List<String> afterZz = in(store).listLatest("zz-", 10)
                    .stream().map(Template::identifier).toList();
            assertThat(afterZz).containsExactly("zz-A", "zz-B", "zz-a", "zz-b", "zz-\u00e9");
            assertThat(in(store).listLatest("zz-B", 2))
                    .extracting(Template::identifier).containsExactly("zz-a", "zz-b");
            assertThat(in(store).listLatest("zz-\u00e9", 10)).isEmpty();
            assertThatThrownBy(() -> in(store).listLatest(null, 1001))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");
            assertThatThrownBy(() -> in(store).listLatest(" ", 10))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("identifier");
        }
    }

    @Nested
    class RemoveAndRender {

        @Test
        void removeDeletesEveryRevisionOfOneTemplateAndANewDefineStartsAtOne(AgentStore store) {
            store.inTransaction(uow -> {
                uow.templates().define("gone", "a");
                uow.templates().define("gone", "b");
                uow.templates().define("stays", "c");
            });

            assertThat(in(store).remove("gone")).isEqualTo(2);
            assertThat(in(store).history("gone")).isEmpty();
            assertThat(in(store).latest("stays")).isPresent();
            assertThat(in(store).remove("gone")).isZero();
            assertThat(in(store).define("gone", "again").revision()).isEqualTo(1);
        }

        @Test
        void renderReplacesKnownPlaceholdersAndLeavesUnknownOnes(AgentStore store) {
            Template t = store.fromTransaction(uow -> uow.templates()
                    .define("render", "Hi {{ name }}, you owe {{amount}} ($ {{currency}}) {{missing}} {{nil}}"));
            Map<String, Object> args = new HashMap<>();
            args.put("name", Json.parse("n", "\"Ann $1\\\\\""));
            args.put("amount", 12.5);
            args.put("currency", "USD");
            args.put("nil", null);

            assertThat(t.render(args)).isEqualTo("Hi Ann $1\\, you owe 12.5 ($ USD) {{missing}} null");
        }
    }
}
