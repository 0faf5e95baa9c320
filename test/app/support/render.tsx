/**
 * Rendering a view against a FakeService, and the few things the SDK's test renderer does not
 * do by itself: waiting for answers to arrive, and pressing the buttons that live in props
 * (`primaryAction`, `actions`), which `wrapper.find` cannot see.
 */
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { render } from '@stripe/ui-extension-sdk/testing';
import type { ComponentType } from 'react';
import { PlatformProvider } from '../../../stripe-app/src/platform';
import type { Platform } from '../../../stripe-app/src/platform';
import type { FakeService } from './fakeService';

export type Wrapper = ReturnType<typeof render>['wrapper'];

export function renderView(View: ComponentType<ExtensionContextValue>, context: ExtensionContextValue, service: FakeService, platform: Partial<Platform> = {}): Wrapper {
  const { wrapper } = render(
    <PlatformProvider platform={service.platform(platform)}>
      <View {...context} />
    </PlatformProvider>,
  );
  return wrapper;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 2));

/** Lets pending answers arrive and React render them. */
export async function settle(wrapper: Wrapper, rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i += 1) {
    await tick();
    wrapper.act(() => undefined);
  }
}

/** Waits until `check` holds (answers arrived, a run finished), or fails saying what it waited for. */
export async function waitFor(wrapper: Wrapper, check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    wrapper.act(() => undefined);
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}. The view shows: ${visibleText(wrapper)}`);
    await tick();
  }
}

/**
 * The props whose text a merchant sees: a Banner's title and description, a field's label,
 * value and error, a ListItem's title, a PropertyListItem's value…
 */
const VISIBLE_PROPS = ['title', 'description', 'label', 'value', 'secondaryTitle', 'error', 'statusMessage', 'placeholder', 'legend'];

function fragmentText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const node = value as RemoteChild & { props?: Record<string, unknown> };
  if (typeof node.text === 'string') return node.text;
  const own = Object.entries(node.props ?? {})
    .filter(([name]) => VISIBLE_PROPS.includes(name))
    .map(([, prop]) => (typeof prop === 'string' ? prop : fragmentText(prop)))
    .join(' ');
  return [own, ...(node.children ?? []).map(fragmentText)].filter((part) => part !== '').join(' ');
}

/**
 * Everything the merchant can read: the tree's text plus the text held in props, which the
 * SDK's `text` leaves out (a ListItem's title, a Banner's description, a field's error).
 */
export function visibleText(wrapper: Wrapper): string {
  const parts: string[] = [];
  for (const node of [wrapper, ...wrapper.descendants]) {
    if (typeof node === 'string') {
      parts.push(node);
      continue;
    }
    for (const [name, prop] of Object.entries((node.props ?? {}) as Record<string, unknown>)) {
      if (typeof prop === 'string' && VISIBLE_PROPS.includes(name)) parts.push(prop);
      else if (typeof prop === 'object' && prop !== null && (prop as RemoteChild).kind === 3) parts.push(fragmentText(prop));
    }
  }
  return parts.join(' ').replace(/\s+/g, ' ');
}

/** Waits until the merchant can read `text` anywhere in the view. */
export function waitForText(wrapper: Wrapper, text: string): Promise<void> {
  return waitFor(wrapper, () => visibleText(wrapper).includes(text), `"${text}"`);
}

/** Fails unless the merchant can read `text` in the view now. */
export function expectVisible(wrapper: Wrapper, text: string): void {
  wrapper.act(() => undefined);
  const shown = visibleText(wrapper);
  if (!shown.includes(text)) throw new Error(`Expected the view to show "${text}". It shows: ${shown}`);
}

/** A node of a remote fragment (what a React element passed as a prop becomes). */
interface RemoteChild {
  readonly kind?: number;
  readonly type?: string;
  readonly props?: Record<string, unknown>;
  readonly children?: readonly RemoteChild[];
  readonly text?: string;
}

function textOf(node: RemoteChild): string {
  return node.text ?? (node.children ?? []).map(textOf).join('');
}

function walk(node: RemoteChild, found: RemoteChild[]): RemoteChild[] {
  if (node.type === 'Button') found.push(node);
  for (const child of node.children ?? []) walk(child, found);
  return found;
}

export interface PropButton {
  readonly label: string;
  readonly disabled: boolean;
  readonly pending: boolean;
  press(): void;
}

/** The Buttons inside a prop such as `primaryAction` or `actions`, by their labels. */
export function buttonsIn(wrapper: Wrapper, fragment: unknown): PropButton[] {
  if (fragment === undefined || fragment === null) return [];
  return walk(fragment as RemoteChild, []).map((node) => ({
    label: textOf(node),
    disabled: node.props?.disabled === true,
    pending: node.props?.pending === true,
    press: () => {
      const onPress = node.props?.onPress;
      if (typeof onPress !== 'function') throw new Error(`Button "${textOf(node)}" has no onPress`);
      wrapper.act(() => (onPress as (event: object) => void)({}));
    },
  }));
}

/** The one Button labelled `label` inside a prop; fails when there is none. */
export function buttonIn(wrapper: Wrapper, fragment: unknown, label: string): PropButton {
  const button = buttonsIn(wrapper, fragment).find((candidate) => candidate.label === label);
  if (button === undefined) throw new Error(`No "${label}" button; there are: ${buttonsIn(wrapper, fragment).map((b) => `"${b.label}"`).join(', ') || 'none'}`);
  return button;
}
