package dev.agentstore.domain.flow;

import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FlowStepStatusTest {

    @Nested
    class Parse {

        @Test
        void compozysSpellingsAndTheAliasesParse() {
            assertThat(FlowStepStatus.parse("RUNNING")).isEqualTo(FlowStepStatus.RUNNING);
            assertThat(FlowStepStatus.parse("timed_out")).isEqualTo(FlowStepStatus.TIMED_OUT);
            assertThat(FlowStepStatus.parse("timed-out")).isEqualTo(FlowStepStatus.TIMED_OUT);
            assertThat(FlowStepStatus.parse(" completed ")).isEqualTo(FlowStepStatus.SUCCESS);
            assertThat(FlowStepStatus.parse("cancelled")).isEqualTo(FlowStepStatus.CANCELED);
            assertThat(FlowStepStatus.parse("suspended")).isEqualTo(FlowStepStatus.PAUSED);
        }

        @Test
        void anUnknownStatusNamesTheField() {
            assertThatThrownBy(() -> FlowStepStatus.parse("done")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("status");
            assertThatThrownBy(() -> FlowStepStatus.parse(null)).isInstanceOf(InvalidInputException.class);
        }
    }

    @Nested
    class Progress {

        @Test
        void terminalStatusesAreDoneAndFailuresIncludeTimeouts() {
            FlowStepProgress p = new FlowStepProgress(4, Map.of(FlowStepStatus.SUCCESS, 1L,
                    FlowStepStatus.TIMED_OUT, 1L, FlowStepStatus.WAITING, 1L, FlowStepStatus.CANCELED, 1L));
            assertThat(p.done()).isEqualTo(3);
            assertThat(p.active()).isEqualTo(1);
            assertThat(p.failed()).isEqualTo(1);
            assertThat(p.percentDone()).isEqualTo(75.0);
            assertThat(p.count(FlowStepStatus.PENDING)).isZero();
        }
    }
}
