/**
 * The data model of the Twist/Connector contract (spec/connectors.md §4). Field names and string
 * literal values are the compatibility surface: connectors written against seed 003 (and the
 * HEAD additions) compile against these types unchanged.
 */

/** Branded ids are plain strings at runtime (§0.3). */
export type Uuid = string & { readonly __brand?: "Uuid" };
export type ActorId = string & { readonly __brand?: "ActorId" };
export type Callback = string & { readonly __brand: "Callback" };

export type JSONValue = string | number | boolean | null | JSONValue[] | { [k: string]: JSONValue };

/** JSONValue widened with what SuperJSON round-trips (§4.15). */
export type Serializable =
  | JSONValue
  | undefined
  | Date
  | RegExp
  | Error
  | URL
  | bigint
  | readonly Serializable[]
  | { readonly [k: string]: Serializable }
  | Map<Serializable, Serializable>
  | Set<Serializable>;

export enum ActorType {
  User = 0,
  Contact = 1,
  Twist = 2,
}

export interface Actor {
  id: ActorId;
  type: ActorType;
  email?: string | null;
  name?: string | null;
  source?: { accountId: string } | null;
}

export interface Contact {
  id: ActorId;
  email: string | null;
  name: string | null;
}

export interface NewContact {
  email?: string;
  name?: string;
  avatar?: string;
  source?: { accountId: string; descriptor?: string };
  role?: string;
  automated?: boolean;
  nameTier?: "self" | "third-party" | "directory";
}

export type NewActor = { id: ActorId } | NewContact;

export interface ResolvedRecipient {
  id: Uuid;
  name: string | null;
  externalAccountId: string;
  role: string | null;
}

export enum Tag {
  Todo = 1,
  Done = 3,
  Twist = 12,
}
export type Tags = { [K in Tag]?: ActorId[] };
export type NewTags = { [K in Tag]?: NewActor[] };
export type Reactions = Record<string, ActorId[]>;
export type NewReactions = Record<string, NewActor[]>;

export type ThreadMeta = Record<string, JSONValue>;

export interface Focus {
  id: Uuid;
  title: string;
  archived: boolean;
  key: string | null;
  color: string | null;
  icon: string | null;
}

export type ThreadType = "action" | "notes" | "idea" | "goal" | "decision" | "discussion" | "announcement" | "ask";

export interface Thread {
  id: Uuid;
  created: Date;
  archived: boolean;
  tags: Tags;
  reactions: Reactions;
  title: string;
  focus?: Focus;
  type?: ThreadType | null;
  access?: "public" | "members" | "private";
  accessContacts?: Contact[];
  schedule?: Schedule;
  meta?: ThreadMeta;
}

export interface Note {
  id: Uuid;
  created: Date;
  archived: boolean;
  tags: Tags;
  reactions: Reactions;
  author: Actor;
  key: string | null;
  thread: Thread;
  content: string | null;
  actions: Action[] | null;
  reNote: { id: Uuid } | null;
  todayItem?: { id: Uuid } | null;
  accessContacts?: ActorId[] | null;
  recipients?: ResolvedRecipient[] | null;
  mentions: ActorId[];
  sectionKey?: string | null;
  sectionLabel?: string | null;
  sectionPosition?: string | null;
  itemPosition?: string | null;
  tagActors?: Record<ActorId, Actor>;
}

export interface NewNote {
  id?: Uuid;
  key?: string | null;
  thread: { id: Uuid } | { source: string };
  author?: NewActor | null;
  authoredBySelf?: boolean;
  deferUntilThread?: boolean;
  content?: string | null;
  contentType?: "text" | "markdown" | "html";
  created?: Date;
  archived?: boolean;
  actions?: Action[] | null;
  tags?: NewTags;
  reactions?: NewReactions;
  accessContacts?: (ActorId | NewContact)[] | null;
  mentions?: NewActor[];
  unread?: boolean;
  checkForTasks?: boolean;
  reNote?: { id: Uuid } | { key: string } | null;
  link?: NewLink;
  sectionKey?: string | null;
  sectionLabel?: string | null;
  sectionPosition?: string | null;
  itemPosition?: string | null;
}

export interface NoteUpdate {
  id?: Uuid;
  key?: string;
  accessContacts?: (ActorId | NewContact)[] | null;
  archived?: boolean;
  content?: string | null;
  actions?: Action[] | null;
  reNote?: { id: Uuid } | { key: string } | null;
  contentType?: "text" | "markdown" | "html";
  tags?: NewTags;
  reactions?: NewReactions;
  mentions?: NewActor[];
}

export interface Link {
  threadId: Uuid;
  source: string | null;
  sources: string[];
  created: Date;
  author: Actor | null;
  title: string;
  preview: string | null;
  assignee: Actor | null;
  type: string | null;
  status: string | null;
  actions: Action[] | null;
  meta: ThreadMeta | null;
  sourceUrl: string | null;
  channelId: string | null;
  relatedSource?: string | null;
  priority: number;
}

export interface ThreadFacets {
  format?: string;
  automation?: string;
  reach?: string;
}

export interface MailSignals {
  listId: string | null;
  listUnsubscribe: string | null;
  precedence: string | null;
  autoSubmitted: string | null;
  returnPath: string | null;
  importance: string | null;
  fromAddress: string | null;
  fromName: string | null;
  toCount: number | null;
  ccCount: number | null;
  isReply: boolean | null;
  subject: string | null;
  authResults: string | null;
  providerCategories: string[];
  providerFlags: string[];
}

export interface LinkSignals {
  mail?: MailSignals;
  noteKey?: string | null;
  taxonomy?: string[];
}

export interface NewLink {
  source?: string | null;
  sources?: string[];
  created?: Date;
  title?: string;
  preview?: string | null;
  type?: string | null;
  status?: string | null;
  actions?: Action[] | null;
  meta?: ThreadMeta | null;
  sourceUrl?: string | null;
  channelId?: string | null;
  relatedSource?: string | null;
  priority?: number;
  author?: NewActor | null;
  assignee?: NewActor | null;
  facets?: ThreadFacets;
  signals?: LinkSignals;
  access?: "public" | "members" | "private";
  accessContacts?: NewContact[];
  unread?: boolean;
  archived?: boolean;
  todo?: boolean;
  todoDate?: Date | string;
  focus?: { id: Uuid };
  autoThread?: { key: string; mode: "sequential" | "fold" } | null;
  updateOnly?: boolean;
}

export interface NewLinkWithNotes extends NewLink {
  /** Required at HEAD; optional in the seed era (the runtime falls back to `meta.channelId`). */
  channelId?: string | null;
  title?: string;
  notes?: Omit<NewNote, "thread">[];
  schedules?: Omit<NewSchedule, "threadId">[];
  scheduleOccurrences?: NewScheduleOccurrence[];
  originatingNote?: { key?: string; externalContent?: string; deliveryError?: DeliveryError | null };
}

export type CreateLinkResult = NewLinkWithNotes;

export interface CreateLinkDraft {
  channelId: string;
  type: string;
  status: string | null;
  title: string;
  noteContent: string | null;
  contacts: Actor[];
  recipients?: ResolvedRecipient[];
  inviteEmails?: string[];
  attachments?: { fileId: string; fileName: string; mimeType: string; fileSize: number | null }[];
  forward?: { key: string };
}

export interface Schedule {
  created: Date;
  archived: boolean;
  userId: ActorId | null;
  order: number | null;
  start: Date | string | null;
  end: Date | string | null;
  recurrenceRule: string | null;
  duration: number | null;
  recurrenceExdates: Date[] | null;
  occurrence: Date | string | null;
  contacts: ScheduleContact[];
}

export interface ScheduleContact {
  contact: Actor;
  status: "attend" | "skip" | null;
  role: "organizer" | "required" | "optional";
  archived: boolean;
}

export interface NewSchedule {
  threadId: Uuid;
  start: Date | string;
  end?: Date | string | null;
  recurrenceRule?: string | null;
  recurrenceUntil?: Date | string | null;
  recurrenceCount?: number | null;
  recurrenceExdates?: Date[] | null;
  occurrence?: Date | string | null;
  userId?: ActorId | null;
  order?: number | null;
  archived?: boolean;
  contacts?: { contact: NewActor; status?: "attend" | "skip" | null; role?: "organizer" | "required" | "optional"; archived?: boolean }[];
}

export interface NewScheduleOccurrence {
  occurrence: Date | string;
  start: Date | string;
  end?: Date | string | null;
  tags?: NewTags;
  twistTags?: Partial<Record<Tag, boolean>>;
  unread?: boolean;
  contacts?: { contact: NewActor; status?: "attend" | "skip" | null; role?: "organizer" | "required" | "optional"; archived?: boolean }[];
  cancelled?: boolean;
}

export interface Channel {
  id: string;
  title: string;
  enabledByDefault?: boolean;
  children?: Channel[];
  linkTypes?: LinkTypeConfig[];
}

export interface SyncContext {
  syncHistoryMin?: Date;
  recovering?: boolean;
  observeOnly?: boolean;
}

export enum AuthProvider {
  Google = "google",
  Microsoft = "microsoft",
  Notion = "notion",
  Slack = "slack",
  Atlassian = "atlassian",
  Linear = "linear",
  Monday = "monday",
  GitHub = "github",
  Asana = "asana",
  HubSpot = "hubspot",
  Todoist = "todoist",
  Airtable = "airtable",
  Trello = "trello",
}

export interface Authorization {
  provider: AuthProvider;
  scopes: string[];
  actor: Actor;
}

export interface AuthToken {
  token: string;
  scopes: string[];
  provider?: Record<string, string>;
}

export interface OptionalScopeGroup {
  id: string;
  label: string;
  description?: string;
  scopes: string[];
  default: boolean;
}

export interface ScopeConfig {
  required: string[];
  optional?: OptionalScopeGroup[];
}

export interface ProductInfo {
  key: string;
  label: string;
  description: string;
  icon: string;
  scopeGroupId: string;
  channelNoun?: { singular: string; plural: string };
}

export type StatusIcon = "backlog" | "todo" | "inProgress" | "blocked" | "done" | "cancelled" | "confirmed" | "tentative";

export interface ComposeConfig {
  targets?: "channels" | "contacts" | "addresses";
  status?: string;
  todo?: boolean;
  label?: string;
}

export interface ContactRoleConfig {
  id: string;
  label: string;
  default?: boolean;
  hidden?: boolean;
}

export type ReactionCapabilities =
  | { mode: "open-unicode"; customEmoji?: "workspace" | "none" }
  | { mode: "unicode-subset"; subset?: readonly string[] }
  | { mode: "fixed"; allowed: readonly string[] };

export interface LinkTypeConfig {
  type: string;
  label: string;
  sourceName?: string;
  noteLabel?: string;
  composePlaceholder?: string;
  composeVerb?: string;
  replyPlaceholder?: string;
  replyVerb?: string;
  logo?: string;
  logoDark?: string;
  logoMono?: string;
  statuses?: { status: string; label: string; icon: StatusIcon; hiddenDefault?: boolean; done?: boolean; active?: boolean; todo?: boolean }[];
  supportsAssignee?: boolean;
  includesSchedules?: boolean;
  defaultCreateThreads?: "all" | "actionable" | "manual";
  compose?: ComposeConfig;
  contactRoles?: ContactRoleConfig[];
  supportsContactChanges?: boolean;
  supportsLinks?: boolean;
  supportsFileAttachments?: boolean;
  supportsForward?: boolean;
  sharingModel?: "thread" | "channel" | "message" | "none";
  reactionCapabilities?: ReactionCapabilities;
}

export interface DeliveryError {
  code: string;
  message?: string | null;
}

export interface NoteWriteBackResult {
  key?: string;
  externalContent?: string;
  deliveryError?: DeliveryError | null;
}

export enum ActionType {
  external = "external",
  conferencing = "conferencing",
  auth = "auth",
  callback = "callback",
  file = "file",
  fileRef = "fileRef",
  thread = "thread",
  plan = "plan",
  chat = "chat",
}

export enum ConferencingProvider {
  googleMeet = "googleMeet",
  zoom = "zoom",
  microsoftTeams = "microsoftTeams",
  webex = "webex",
  other = "other",
}

export type Action =
  | { type: ActionType.external | "external"; title: string; url: string }
  | { type: ActionType.conferencing | "conferencing"; url: string; provider: ConferencingProvider }
  | { type: ActionType.auth | "auth"; title: string; provider: AuthProvider; scopes: string[]; callback: Callback }
  | { type: ActionType.callback | "callback"; title: string; callback: Callback }
  | { type: ActionType.file | "file"; fileId: string; fileName: string; fileSize: number; mimeType: string; imageWidth?: number; imageHeight?: number }
  | { type: ActionType.fileRef | "fileRef"; ref: string; fileName: string; fileSize: number | null; mimeType: string; imageWidth?: number; imageHeight?: number; contentId?: string }
  | { type: ActionType.thread | "thread"; threadId: Uuid }
  | { type: ActionType.plan | "plan"; title: string; operations: JSONValue[]; callback: Callback; approved?: boolean; results?: JSONValue }
  | { type: ActionType.chat | "chat"; title: string; url: string; callback: Callback };

export interface ArchiveLinkFilter {
  channelId?: string;
  type?: string;
  status?: string;
  meta?: Record<string, JSONValue>;
}

export interface ArchiveNotesFilter {
  channelId?: string;
}

export interface NewCustomEmoji {
  id: string;
  provider: string;
  workspace: string;
  name: string;
  imageUrl: string | null;
  aliasOf: string | null;
  archived: boolean;
}

/** An inbound webhook delivery as a callback receives it (§3.4). */
export interface WebhookRequest {
  method: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  params: Record<string, string>;
  body: JSONValue;
  /** The exact request body as UTF-8, for HMAC verification. Always set by the runtime. */
  rawBody?: string;
}

export type DownloadAttachmentResult = { redirectUrl: string } | { body: ReadableStream | Uint8Array; mimeType: string; fileName?: string };
