package dev.agentstore.langgraph4j;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.bsc.langgraph4j.checkpoint.BaseCheckpointSaver;

/**
 * The CDI producer for a Jakarta EE application (WildFly) that uses LangGraph4j: inject {@link BaseCheckpointSaver}
 * and get {@link AgentStoreCheckpointSaver}, on the container's repositories and JTA transactions
 * ({@link JtaSaverAccess}).
 *
 * <p>The saver's threads are runs of the flow named by the system property {@value #FLOW_PROPERTY} or the environment
 * variable {@code AGENTSTORE_LANGGRAPH4J_FLOW}, by default {@value AgentStoreCheckpointSaver#DEFAULT_FLOW}; the flow
 * is registered when the saver is first used, if missing. Commits are durable. An application that needs other
 * flows, or {@code asynchronousCommit(true)}, declares its own producer, for example {@code
 * AgentStoreCheckpointSaver.of(access, "support-agent").asynchronousCommit(true)} with an injected {@link
 * JtaSaverAccess}. The product is application-scoped (created at its first use) and thread-safe.
 */
@ApplicationScoped
public class AgentStoreLangGraph4jProducer {

    /** The system property naming the flow of the produced saver. */
    public static final String FLOW_PROPERTY = "agentstore.langgraph4j.flow";

    private SaverAccess access;

    /** For CDI's proxy. */
    protected AgentStoreLangGraph4jProducer() {
    }

    /** @param access the container's repositories and transactions */
    @Inject
    public AgentStoreLangGraph4jProducer(JtaSaverAccess access) {
        this.access = access;
    }

    /**
     * @return LangGraph4j's checkpoint saver on agentstore runs and checkpoints of the flow named by {@value
     *         #FLOW_PROPERTY}
     * @throws dev.agentstore.domain.InvalidInputException when that name is not a valid flow name
     */
    @Produces
    @ApplicationScoped
    public BaseCheckpointSaver checkpointSaver() {
        String flow = System.getProperty(FLOW_PROPERTY, System.getenv("AGENTSTORE_LANGGRAPH4J_FLOW"));
        return AgentStoreCheckpointSaver.of(access,
                flow == null || flow.isBlank() ? AgentStoreCheckpointSaver.DEFAULT_FLOW : flow);
    }
}
