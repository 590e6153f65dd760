// React bindings of the studio store and service (kept apart so the store stays testable without React).
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { StudioService } from '../services/studio-service.js';
import type { StudioStore, StudioState } from './studio-store.js';

export const StudioContext = createContext<{ store: StudioStore; service: StudioService } | null>(null);

function useStudioContext(): { store: StudioStore; service: StudioService } {
  const value = useContext(StudioContext);
  if (!value) throw new Error('StudioContext is missing: render inside <StudioContext.Provider>');
  return value;
}

export function useStudio<T>(selector: (state: StudioState) => T): T {
  return useStore(useStudioContext().store, selector);
}

export function useService(): StudioService {
  return useStudioContext().service;
}
