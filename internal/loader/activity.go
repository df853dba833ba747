package loader

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/amogql/amogql/internal/amocrm"
)

// ActivityKey names the notes or tasks of one entity: amoCRM lists both
// per entity type, filtered by filter[entity_id][], so the entities of one
// type share their calls.
type ActivityKey struct {
	// EntityType is amoCRM's path segment: leads, contacts, companies or customers.
	EntityType string
	EntityID   int
	// Completed narrows tasks: 0 for every task, 1 done, -1 open. Notes leave it 0.
	Completed int8
}

// activity holds the notes and tasks loaders, built on first use: most
// operations select neither.
type activity struct {
	once  sync.Once
	mu    sync.Mutex // orders the enqueueing of sibling keys
	wait  time.Duration
	notes *dataloader.Loader[ActivityKey, []*amocrm.Note]
	tasks *dataloader.Loader[ActivityKey, []*amocrm.Task]
}

func (l *Loaders) activityLoaders() *activity {
	a := &l.activity
	a.once.Do(func() {
		wait := a.wait
		if wait == 0 {
			wait = DefaultWait
		}
		a.notes = newLoader(newCache[ActivityKey, []*amocrm.Note](), wait, byEntity(l.fetchNotes, func(n *amocrm.Note) int { return n.EntityID }))
		a.tasks = newLoader(newCache[ActivityKey, []*amocrm.Task](), wait, byEntity(l.fetchTasks, func(t *amocrm.Task) int { return t.EntityID }))
	})
	return a
}

// Notes returns every note of one entity, newest first. The notes of all
// the entities of one type that resolvers ask for within the batching
// window are read together: one call per 250 notes. siblings are the ids
// of the entities beside it in its list: they join the same batch at once,
// so a list whose resolvers start further apart than the window still
// costs one call.
func (l *Loaders) Notes(ctx context.Context, entityType string, entityID int, siblings []int) ([]*amocrm.Note, error) {
	return loadWithSiblings(ctx, &l.activity.mu, l.activityLoaders().notes, ActivityKey{EntityType: entityType, EntityID: entityID}, siblings)
}

// Tasks returns the tasks of one entity, due soonest first; completed
// narrows them to done (true) or open (false) ones. Batched like Notes.
func (l *Loaders) Tasks(ctx context.Context, entityType string, entityID int, completed *bool, siblings []int) ([]*amocrm.Task, error) {
	k := ActivityKey{EntityType: entityType, EntityID: entityID, Completed: completedKey(completed)}
	return loadWithSiblings(ctx, &l.activity.mu, l.activityLoaders().tasks, k, siblings)
}

// completedKey is a completion filter as an ActivityKey holds it: 0 none,
// 1 done, -1 open.
func completedKey(completed *bool) int8 {
	switch {
	case completed == nil:
		return 0
	case *completed:
		return 1
	}
	return -1
}

// PrefetchActivity starts reading the notes (tasks false) or the tasks
// (with completed as Tasks takes it) of the entities ids of one type, in
// one batch, without waiting: a caller that will ask for each of them one
// after another starts them together, so their calls do not queue behind
// each other.
func (l *Loaders) PrefetchActivity(ctx context.Context, entityType string, ids []int, tasks bool, completed *bool) {
	if len(ids) == 0 {
		return
	}
	if tasks {
		k := ActivityKey{EntityType: entityType, EntityID: ids[0], Completed: completedKey(completed)}
		enqueue(ctx, &l.activity.mu, l.activityLoaders().tasks, k, ids)
		return
	}
	enqueue(ctx, &l.activity.mu, l.activityLoaders().notes, ActivityKey{EntityType: entityType, EntityID: ids[0]}, ids)
}

// enqueue asks dl for k's siblings (k itself among them) without waiting.
func enqueue[V any](ctx context.Context, mu *sync.Mutex, dl *dataloader.Loader[ActivityKey, V], k ActivityKey, siblings []int) {
	mu.Lock()
	defer mu.Unlock()
	enqueueLocked(ctx, dl, k, siblings)
}

func enqueueLocked[V any](ctx context.Context, dl *dataloader.Loader[ActivityKey, V], k ActivityKey, siblings []int) {
	for _, id := range siblings {
		sk := k
		sk.EntityID = id
		dl.Load(ctx, sk)
	}
}

func loadWithSiblings[V any](ctx context.Context, mu *sync.Mutex, dl *dataloader.Loader[ActivityKey, V], k ActivityKey, siblings []int) (V, error) {
	// Load enqueues its key before it returns (LoadMany would start a
	// goroutine per key, and they might miss the batch); the thunks are
	// cached, so each sibling's own Load finds its key already asked for.
	// The lock keeps two siblings from both missing the cache for one key,
	// the later one landing in a second batch.
	mu.Lock()
	enqueueLocked(ctx, dl, k, siblings)
	thunk := dl.Load(ctx, k)
	mu.Unlock()
	return thunk()
}

// entityIDParamOverhead is len("filter%5Bentity_id%5D%5B%5D=") plus the '&'.
const entityIDParamOverhead = 29

// chunkEntityIDs splits ids into groups whose filter[entity_id][] fits the
// URL budget of one call; unlike filter[id][], the rows a call returns are
// not bounded by the ids, so the calls page instead.
func chunkEntityIDs(ids []int) [][]int { return chunkParams(ids, entityIDParamOverhead) }

// byEntity adapts a fetch of the rows of many entities of one group (one
// entity type and completion filter) to a batch function: the keys are
// grouped, each group's ids are read in chunks concurrently, and every key
// gets its entity's rows (none: an empty list).
func byEntity[V any](fetch func(g ActivityKey, ids []int) ([]V, error), owner func(V) int) dataloader.BatchFunc[ActivityKey, []V] {
	return func(_ context.Context, keys []ActivityKey) []*dataloader.Result[[]V] {
		groups := map[ActivityKey][]int{}
		for _, k := range keys {
			g := ActivityKey{EntityType: k.EntityType, Completed: k.Completed}
			groups[g] = append(groups[g], k.EntityID)
		}
		type found struct {
			rows map[int][]V
			err  error
		}
		var (
			mu  sync.Mutex
			wg  sync.WaitGroup
			res = map[ActivityKey]*found{}
		)
		for g, ids := range groups {
			// The goroutines hold their group's result, never the map,
			// which this loop is still writing for the next group.
			f := &found{rows: map[int][]V{}}
			res[g] = f
			for _, c := range chunkEntityIDs(ids) {
				wg.Go(func() {
					rows, err := fetch(g, c)
					mu.Lock()
					defer mu.Unlock()
					if err != nil && f.err == nil {
						f.err = err
					}
					for _, r := range rows {
						f.rows[owner(r)] = append(f.rows[owner(r)], r)
					}
				})
			}
		}
		wg.Wait()
		out := make([]*dataloader.Result[[]V], len(keys))
		for i, k := range keys {
			f := res[ActivityKey{EntityType: k.EntityType, Completed: k.Completed}]
			if f.err != nil {
				out[i] = &dataloader.Result[[]V]{Error: f.err}
				continue
			}
			rows := f.rows[k.EntityID]
			if rows == nil {
				rows = []V{}
			}
			out[i] = &dataloader.Result[[]V]{Data: rows}
		}
		return out
	}
}

// readAllPages reads pages of 250 until a short one ends the list.
func readAllPages[V any](read func(page int) ([]V, error)) ([]V, error) {
	var all []V
	for page := 1; ; page++ {
		rows, err := read(page)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
		if len(rows) < maxIDsPerCall {
			return all, nil
		}
	}
}

func (l *Loaders) fetchNotes(g ActivityKey, ids []int) ([]*amocrm.Note, error) {
	l.observe("note", len(ids))
	notes, err := readAllPages(func(page int) ([]*amocrm.Note, error) {
		rows, _, err := l.client.Notes.List(l.ctx, g.EntityType, &amocrm.NoteListOptions{
			Page: page, Limit: maxIDsPerCall, Filter: &amocrm.NoteFilter{EntityID: ids},
			Order: &amocrm.Order{ID: "desc"},
		})
		return rows, err
	})
	if err != nil {
		return nil, fmt.Errorf("notes of %s: %w", g.EntityType, err)
	}
	return notes, nil
}

func (l *Loaders) fetchTasks(g ActivityKey, ids []int) ([]*amocrm.Task, error) {
	l.observe("task", len(ids))
	f := &amocrm.TaskFilter{EntityType: g.EntityType, EntityID: ids}
	if g.Completed != 0 {
		done := g.Completed > 0
		f.IsCompleted = &done
	}
	tasks, err := readAllPages(func(page int) ([]*amocrm.Task, error) {
		rows, _, err := l.client.Tasks.List(l.ctx, &amocrm.TaskListOptions{
			Page: page, Limit: maxIDsPerCall, Filter: f, Order: &amocrm.TaskOrder{CompleteTill: "asc"},
		})
		return rows, err
	})
	if err != nil {
		return nil, fmt.Errorf("tasks of %s: %w", g.EntityType, err)
	}
	return tasks, nil
}
