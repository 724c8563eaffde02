package dev.agentstore.langchain4j;

import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.knowledge.SearchMode;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.rag.query.Query;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hybrid search through LangChain4j's own {@link EmbeddingStoreContentRetriever}, which sets the request's query text,
 * with a real embedding model: the chunk that has the question's word comes first.
 */
class AgentStoreHybridRetrievalTest {

    private static final List<String> TEXTS = List.of(
            "To reset a forgotten password, open the account settings page.",
            "The deploy failed with error XJ4411 after the database migration.",
            "Error XJ4417: the build server ran out of disk space during the deploy.",
            "Our office is closed on public holidays.",
            "Payments are processed within three business days.",
            "Deployments run every night after the tests pass.");

    private static AgentStore store;
    private static AgentStoreEmbeddingStore embeddings;

    @BeforeAll
    static void open() {
        store = TestStores.open(AgentStoreHybridRetrievalTest.class);
        embeddings = TestStores.embeddingStore(store, "support");
        List<TextSegment> segments = TEXTS.stream().map(TextSegment::from).toList();
        embeddings.addAll(TestStores.model().embedAll(segments).content(), segments);
    }

    @AfterAll
    static void close() {
        TestStores.close(store);
    }

    private static List<String> retrieve(AgentStoreEmbeddingStore s, String question, int maxResults) {
        List<Content> found = EmbeddingStoreContentRetriever.builder().embeddingStore(s)
                .embeddingModel(TestStores.model()).maxResults(maxResults).build().retrieve(Query.from(question));
        return found.stream().map(c -> c.textSegment().text()).toList();
    }

    @Test
    void theChunkWithTheQuestionsWordOutranksTheVectorsFirstChoice() {
        // all-MiniLM-L6-v2 puts "business" nearest to the office's opening days; only the payments chunk has the word
        assertThat(retrieve(embeddings, "business", 1)).containsExactly(TEXTS.get(3));

        assertThat(retrieve(embeddings.withSearchMode(SearchMode.HYBRID), "business", 1)).containsExactly(TEXTS.get(4));
    }

    @Test
    void withoutTheWordsHybridKeepsTheVectorOrder() {
        String question = "when will my money arrive";

        assertThat(retrieve(embeddings.withSearchMode(SearchMode.HYBRID), question, 3))
                .containsExactlyElementsOf(retrieve(embeddings, question, 3));
    }
}
