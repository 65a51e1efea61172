/**
 * The CodeMirror 6 editor of a document tile (§3.11): Markdown, bound to the document's Yjs text and
 * awareness by y-codemirror.next (remote cursors and selections, labelled with names), dark palette,
 * wrapping lines (phones), read-only for readers. Loaded on demand (DocumentTile): CodeMirror stays
 * out of the page's main bundle.
 */
import { defaultKeymap, indentWithTab } from "@codemirror/commands";
import { markdown } from "@codemirror/lang-markdown";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { Compartment, EditorState } from "@codemirror/state";
import { drawSelection, EditorView, keymap, placeholder } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import * as Y from "yjs";
import type { DocSync } from "../../common/index.js";

const theme = EditorView.theme(
  {
    "&": { backgroundColor: "#18181b", color: "#a1a1aa", height: "100%", fontSize: "14px" },
    "&.cm-focused": { outline: "none" },
    ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", lineHeight: "1.55" },
    ".cm-content": { padding: "12px 0", caretColor: "#e4e4e7" },
    ".cm-line": { padding: "0 14px" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: "#e4e4e7" },
    "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection": { backgroundColor: "#3f3f46" },
    ".cm-placeholder": { color: "#52525b" },
    // Remote carets carry their participant's name at all times (not only on hover).
    ".cm-ySelectionInfo": { opacity: "1", fontFamily: "system-ui, sans-serif", color: "#18181b", borderRadius: "3px 3px 3px 0", top: "-1.2em" },
  },
  { dark: true },
);

const highlight = HighlightStyle.define([
  { tag: tags.heading, color: "#f4f4f5", fontWeight: "700" },
  { tag: tags.strong, color: "#e4e4e7", fontWeight: "700" },
  { tag: tags.emphasis, fontStyle: "italic" },
  { tag: tags.strikethrough, textDecoration: "line-through" },
  { tag: [tags.link, tags.url], color: "#60a5fa" },
  { tag: tags.monospace, color: "#fbbf24" },
  { tag: tags.quote, color: "#71717a", fontStyle: "italic" },
  { tag: [tags.processingInstruction, tags.meta, tags.contentSeparator], color: "#52525b" },
  { tag: tags.list, color: "#a1a1aa" },
]);

export interface DocEditor {
  view: EditorView;
  setReadOnly(readOnly: boolean): void;
  destroy(): void;
}

export function createDocEditor(parent: HTMLElement, sync: DocSync, readOnly: boolean): DocEditor {
  const undoManager = new Y.UndoManager(sync.text);
  const editable = new Compartment();
  const rw = (ro: boolean) => [EditorState.readOnly.of(ro), EditorView.editable.of(!ro)];
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: sync.text.toString(),
      extensions: [
        keymap.of([...yUndoManagerKeymap, ...defaultKeymap, indentWithTab]),
        drawSelection(),
        markdown(),
        syntaxHighlighting(highlight),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ "data-testid": "doc-editor", "aria-label": "Document text" }),
        placeholder("Start writing Markdown…"),
        theme,
        editable.of(rw(readOnly)),
        yCollab(sync.text, sync.awareness, { undoManager }),
      ],
    }),
  });
  return {
    view,
    setReadOnly: (ro) => view.dispatch({ effects: editable.reconfigure(rw(ro)) }),
    destroy: () => {
      view.destroy();
      undoManager.destroy();
    },
  };
}
