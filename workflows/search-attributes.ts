// The search attributes of SPEC 8, defined once for the workflow, the client and the dev server.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  action: defineSearchAttributeKey('AirlockAction', SearchAttributeType.KEYWORD),
  requester: defineSearchAttributeKey('AirlockRequester', SearchAttributeType.KEYWORD),
  environment: defineSearchAttributeKey('AirlockEnvironment', SearchAttributeType.KEYWORD),
  risk: defineSearchAttributeKey('AirlockRisk', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('AirlockStatus', SearchAttributeType.KEYWORD),
  approvers: defineSearchAttributeKey('AirlockApprovers', SearchAttributeType.KEYWORD_LIST),
  /** Beyond SPEC 8: who approved, denied or cancelled ('policy' when the policy allowed). */
  decidedBy: defineSearchAttributeKey('AirlockDecidedBy', SearchAttributeType.KEYWORD),
  /** Set on break-glass requests only: review_pending, review_overdue, acknowledged or incident. */
  breakGlass: defineSearchAttributeKey('AirlockBreakGlass', SearchAttributeType.KEYWORD),
} as const;

/** Name -> type as the operator service and `temporal server start-dev --search-attribute` want it. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'KeywordList'> = {
  AirlockAction: 'Keyword',
  AirlockRequester: 'Keyword',
  AirlockEnvironment: 'Keyword',
  AirlockRisk: 'Keyword',
  AirlockStatus: 'Keyword',
  AirlockApprovers: 'KeywordList',
  AirlockDecidedBy: 'Keyword',
  AirlockBreakGlass: 'Keyword',
};
