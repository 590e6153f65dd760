// React bindings of the studio store (kept apart so the store stays testable without React).
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { StudioStore, StudioState } from './studio-store.js';

export const StudioContext = createContext<StudioStore | null>(null);

export function useStudio<T>(selector: (state: StudioState) => T): T {
  const store = useContext(StudioContext);
  if (!store) throw new Error('StudioContext is missing: render inside <StudioContext.Provider>');
  return useStore(store, selector);
}
