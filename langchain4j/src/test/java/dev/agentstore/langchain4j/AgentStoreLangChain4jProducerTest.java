package dev.agentstore.langchain4j;

import dev.agentstore.persistence.knowledge.SearchMode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The producer's setting of the embedding store's search mode. */
class AgentStoreLangChain4jProducerTest {

    @Test
    void searchModeIsReadInAnyCaseAndDefaultsWhenUnset() {
        assertThat(AgentStoreLangChain4jProducer.searchMode(" hybrid ")).isEqualTo(SearchMode.HYBRID);
        assertThat(AgentStoreLangChain4jProducer.searchMode("TEXT")).isEqualTo(SearchMode.TEXT);
        assertThat(AgentStoreLangChain4jProducer.searchMode(null)).isNull();
        assertThat(AgentStoreLangChain4jProducer.searchMode("")).isNull();
    }

    @Test
    void anUnknownSearchModeNamesTheProperty() {
        assertThatThrownBy(() -> AgentStoreLangChain4jProducer.searchMode("fuzzy"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(AgentStoreLangChain4jProducer.SEARCH_MODE_PROPERTY).hasMessageContaining("fuzzy");
    }
}
