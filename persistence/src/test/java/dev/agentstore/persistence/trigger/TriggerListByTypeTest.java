package dev.agentstore.persistence.trigger;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerDefinition;
import dev.agentstore.domain.trigger.TriggerStatus;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Listing by type and status (issue 14) sees every trigger of the schema, so it has a schema of its own. */
@ExtendWith(AgentStoreExtension.class)
class TriggerListByTypeTest {

    @Test
    void listFiltersByTypeAndByStatusAndCountsWhatBothSelect(AgentStore store) {
        store.inTransaction(uow -> {
            uow.triggers().define("l-e1", TriggerDefinition.of(TriggerType.EVENT));
            uow.triggers().define("l-e2", TriggerDefinition.of(TriggerType.EVENT));
            uow.triggers().define("l-w1", TriggerDefinition.of(TriggerType.WEBHOOK));
            uow.triggers().define("l-s1", TriggerDefinition.of(TriggerType.SCHEDULE));
        });
        store.inTransaction(uow -> uow.triggers().pause("l-e2"));

        Page<Trigger> events = store.fromTransaction(uow -> uow.triggers().list(TriggerType.EVENT, null,
                PageRequest.of(0, 10)));
        Page<Trigger> activeEvents = store.fromTransaction(uow -> uow.triggers().list(TriggerType.EVENT,
                TriggerStatus.ACTIVE, PageRequest.of(0, 10)));
        Page<Trigger> paused = store.fromTransaction(uow -> uow.triggers().list(null, TriggerStatus.PAUSED,
                PageRequest.of(0, 10)));
        Page<Trigger> webhooksPage = store.fromTransaction(uow -> uow.triggers().list(TriggerType.WEBHOOK, null,
                PageRequest.of(0, 1)));

        assertThat(events.items()).extracting(Trigger::name).containsExactly("l-e1", "l-e2");
        assertThat(events.total()).isEqualTo(2);
        assertThat(activeEvents.items()).extracting(Trigger::name).containsExactly("l-e1");
        assertThat(paused.items()).extracting(Trigger::name).containsExactly("l-e2");
        assertThat(webhooksPage.items()).extracting(Trigger::name).containsExactly("l-w1");
        assertThat(webhooksPage.hasMore()).isFalse();
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().list(TriggerType.EVENT, null, null)))
                .isInstanceOf(InvalidInputException.class);
    }
}
