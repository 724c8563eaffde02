package dev.agentstore.domain.observability;

import java.math.BigDecimal;
import java.time.LocalDate;

/**
 * Summed LLM usage of one group, computed in SQL. Costs are summed per currency only, never converted: a group
 * has one currency, or none ({@code null}) for usage recorded without a cost.
 *
 * @param day          the UTC day, or {@code null} when the grouping is not by day
 * @param flowName     the flow, or {@code null} for usage without one or when the grouping is not by flow
 * @param provider     the provider, or {@code null} when the grouping is not by model
 * @param model        the model, or {@code null} when the grouping is not by model
 * @param currency     the ISO 4217 code of {@code cost}, or {@code null} for usage without a cost
 * @param calls        the number of usage records summed
 * @param inputTokens  the sum of input tokens
 * @param outputTokens the sum of output tokens
 * @param totalTokens  the sum of total tokens
 * @param cost         the sum of costs in {@code currency}, or {@code null} when {@code currency} is {@code null}
 */
public record LlmUsageTotals(LocalDate day, String flowName, String provider, String model, String currency,
                             long calls, long inputTokens, long outputTokens, long totalTokens, BigDecimal cost) {
}
