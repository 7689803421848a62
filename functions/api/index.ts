// A small Hono app: a Hono app's default export has fetch(), so it is a fetch handler.
import { Hono } from 'hono';

interface Todo {
  id: number;
  title: string;
  done: boolean;
}

// Module scope runs once per container: this list lives as long as the warm container.
const todos: Todo[] = [{ id: 1, title: 'deploy a function', done: true }];

const app = new Hono();

app.get('/', (c) => c.json({ service: 'todos', routes: ['GET /todos', 'GET /todos/:id', 'POST /todos'] }));
app.get('/todos', (c) => c.json(todos));
app.get('/todos/:id', (c) => {
  const todo = todos.find((t) => t.id === Number(c.req.param('id')));
  return todo ? c.json(todo) : c.json({ error: 'not found' }, 404);
});
app.post('/todos', async (c) => {
  const body = await c.req.json().catch(() => null);
  if (!body || typeof body.title !== 'string') return c.json({ error: 'title (string) is required' }, 400);
  const todo = { id: todos.length + 1, title: body.title, done: false };
  todos.push(todo);
  return c.json(todo, 201);
});

export default app;
