# simulium's controller image. Multi-stage: `build` compiles TypeScript with every dependency,
# `deps` installs production dependencies only, the final stage holds those and dist/.
#
# BASE must provide Node.js 22 (LTS) and npm; on a registry-less machine it is the harness image
# simulium/node:local (bash harness/build-images.sh node), elsewhere e.g. node:22-bookworm-slim
# plus git and openssh-client (the daemon clones over ssh/https).
#
# Offline builds: npm reads its cache from .npm-cache/ in the build context when that directory
# exists (fill it with `npm ci --cache .npm-cache` or scripts in the test), and then never needs
# the registry (--prefer-offline). Without it, npm fetches from the registry as usual.
ARG BASE=simulium/node:local

FROM ${BASE} AS build
WORKDIR /src
# The wildcard keeps the build valid when .npm-cache/ is absent: .dockerignore always matches.
COPY .dockerignore .npm-cach[e] /tmp/npm-cache/
COPY package.json package-lock.json ./
RUN npm ci --include=dev --cache /tmp/npm-cache --prefer-offline --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY controller ./controller
COPY schemas ./schemas
RUN npm run build

FROM ${BASE} AS deps
WORKDIR /app
COPY .dockerignore .npm-cach[e] /tmp/npm-cache/
COPY package.json package-lock.json ./
# A separate stage so the npm cache never becomes a layer of the final image.
RUN npm ci --omit=dev --cache /tmp/npm-cache --prefer-offline --no-audit --no-fund --ignore-scripts

FROM ${BASE}
# The controller runs as `simulium`, not root. Talking to the Docker socket needs the socket's
# group: run the container/service with `--user simulium:<gid of the socket>` (the stack file
# does). The socket is root-equivalent anyway; this only keeps a compromised controller from
# owning the container's filesystem and the state volume's other files.
RUN groupadd --system --gid 10001 simulium \
 && useradd --system --uid 10001 --gid simulium --home-dir /var/lib/simulium --shell /usr/sbin/nologin simulium \
 && mkdir -p /var/lib/simulium && chown simulium:simulium /var/lib/simulium && chmod 0750 /var/lib/simulium
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
ENV NODE_ENV=production HOME=/var/lib/simulium
# glibc's malloc raises its mmap threshold to the largest block freed so far (up to 32 MB), so the
# engine's large answers (the task list, service specs) end up in the main heap, whose pages a
# few long-lived blocks then pin for good: 6-10 MB more resident after a daemon's first converge
# of 25 or 100 sites. A fixed threshold (its default, 128 KiB) keeps such blocks in their own
# mappings, returned to the kernel when freed (docs/performance.md figure 5c). Ignored by other
# C libraries.
ENV MALLOC_MMAP_THRESHOLD_=131072
USER simulium
VOLUME /var/lib/simulium
EXPOSE 9090
# /healthz answers while the process is alive and its loop runs; node itself probes it (no curl).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:process.env.SIMULIUM_HEALTH_PORT||9090,path:'/healthz',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/controller/cli/main.js"]
CMD ["run", "--repo", "/repo", "--listen", "0.0.0.0:9090", "--state-dir", "/var/lib/simulium"]
