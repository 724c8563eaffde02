package dev.agentstore.langgraph4j;

import dev.agentstore.persistence.flow.CheckpointRepository;
import dev.agentstore.persistence.flow.FlowRepository;
import dev.agentstore.persistence.flow.FlowRunRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.util.function.Function;

/**
 * {@link SaverAccess} in a Jakarta EE container: agentstore's CDI repositories, and a JTA transaction
 * ({@code @Transactional}: joining the caller's when there is one, rolled back when the work throws) for work of
 * several calls. Application-scoped and thread-safe; {@link AgentStoreLangGraph4jProducer} uses it.
 */
@ApplicationScoped
public class JtaSaverAccess implements SaverAccess {

    private Repositories repositories;

    /** For CDI's proxy. */
    protected JtaSaverAccess() {
    }

    /**
     * @param flows       the container's flow repository
     * @param runs        the container's flow run repository
     * @param checkpoints the container's checkpoint repository
     */
    @Inject
    public JtaSaverAccess(FlowRepository flows, FlowRunRepository runs, CheckpointRepository checkpoints) {
        this.repositories = new Repositories(flows, runs, checkpoints);
    }

    @Override
    public Repositories perCall() {
        return repositories;
    }

    @Override
    @Transactional
    public <T> T inTransaction(Function<Repositories, T> work) {
        return work.apply(repositories);
    }
}
