export namespace jobs {
	
	export class Snapshot {
	    id: string;
	    kind: string;
	    args: string;
	    state: string;
	    error: string;
	    // Go type: time
	    startedAt: any;
	    progress: progress.Event;
	
	    static createFrom(source: any = {}) {
	        return new Snapshot(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.args = source["args"];
	        this.state = source["state"];
	        this.error = source["error"];
	        this.startedAt = this.convertValues(source["startedAt"], null);
	        this.progress = this.convertValues(source["progress"], progress.Event);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace main {
	
	export class BuiltinStatus {
	    running: boolean;
	    elsewhere: boolean;
	    address: string;
	    url: string;
	    root: string;
	    size: number;
	    repositories: string[];
	    error?: string;
	
	    static createFrom(source: any = {}) {
	        return new BuiltinStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.running = source["running"];
	        this.elsewhere = source["elsewhere"];
	        this.address = source["address"];
	        this.url = source["url"];
	        this.root = source["root"];
	        this.size = source["size"];
	        this.repositories = source["repositories"];
	        this.error = source["error"];
	    }
	}
	export class Capabilities {
	    demoJobs: boolean;
	    os: string;
	
	    static createFrom(source: any = {}) {
	        return new Capabilities(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.demoJobs = source["demoJobs"];
	        this.os = source["os"];
	    }
	}
	export class ConfigProblem {
	    line: number;
	    column: number;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new ConfigProblem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.line = source["line"];
	        this.column = source["column"];
	        this.message = source["message"];
	    }
	}
	export class ConfigView {
	    path: string;
	    text: string;
	    exists: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ConfigView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.text = source["text"];
	        this.exists = source["exists"];
	    }
	}
	export class MediumPrompt {
	    id: string;
	    volume: number;
	    message: string;
	    device: string;
	    syncId: string;
	    problem?: string;
	    write: boolean;
	
	    static createFrom(source: any = {}) {
	        return new MediumPrompt(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.volume = source["volume"];
	        this.message = source["message"];
	        this.device = source["device"];
	        this.syncId = source["syncId"];
	        this.problem = source["problem"];
	        this.write = source["write"];
	    }
	}
	export class PracticeSet {
	    host: string;
	    dir: string;
	    images: practice.Image[];
	    signature: practice.Image;
	    sources: string;
	    rules: string;
	    gathered: string;
	    archive: string;
	    received: string;
	    mapping: string;
	
	    static createFrom(source: any = {}) {
	        return new PracticeSet(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.host = source["host"];
	        this.dir = source["dir"];
	        this.images = this.convertValues(source["images"], practice.Image);
	        this.signature = this.convertValues(source["signature"], practice.Image);
	        this.sources = source["sources"];
	        this.rules = source["rules"];
	        this.gathered = source["gathered"];
	        this.archive = source["archive"];
	        this.received = source["received"];
	        this.mapping = source["mapping"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Preferences {
	    theme: string;
	    blockSize: string;
	    bufferSize: string;
	    concurrency: number;
	    dataDir: string;
	    storeDir: string;
	
	    static createFrom(source: any = {}) {
	        return new Preferences(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.theme = source["theme"];
	        this.blockSize = source["blockSize"];
	        this.bufferSize = source["bufferSize"];
	        this.concurrency = source["concurrency"];
	        this.dataDir = source["dataDir"];
	        this.storeDir = source["storeDir"];
	    }
	}
	export class PreviewRequest {
	    kind: string;
	    rules: string;
	    sourcesText: string;
	    indexRef: string;
	
	    static createFrom(source: any = {}) {
	        return new PreviewRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.rules = source["rules"];
	        this.sourcesText = source["sourcesText"];
	        this.indexRef = source["indexRef"];
	    }
	}
	export class PreviewResponse {
	    result: mapping.Result;
	    ruleProblems: mapping.RuleProblem[];
	    inputProblem: string;
	    millis: number;
	
	    static createFrom(source: any = {}) {
	        return new PreviewResponse(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.result = this.convertValues(source["result"], mapping.Result);
	        this.ruleProblems = this.convertValues(source["ruleProblems"], mapping.RuleProblem);
	        this.inputProblem = source["inputProblem"];
	        this.millis = source["millis"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class ReceiptSite {
	    site: string;
	    keyId: string;
	    receipts: number;
	    // Go type: time
	    latest: any;
	
	    static createFrom(source: any = {}) {
	        return new ReceiptSite(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.site = source["site"];
	        this.keyId = source["keyId"];
	        this.receipts = source["receipts"];
	        this.latest = this.convertValues(source["latest"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class RegistryCheck {
	    registry: string;
	    endpoints: registry.EndpointCheck[];
	    ok: boolean;
	
	    static createFrom(source: any = {}) {
	        return new RegistryCheck(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.registry = source["registry"];
	        this.endpoints = this.convertValues(source["endpoints"], registry.EndpointCheck);
	        this.ok = source["ok"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class RegistrySettings {
	    host: string;
	    plainHttp: boolean;
	    endpoints: string[];
	    skipVerify: boolean;
	    caFile: string;
	    builtin: boolean;
	    inFile: boolean;
	
	    static createFrom(source: any = {}) {
	        return new RegistrySettings(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.host = source["host"];
	        this.plainHttp = source["plainHttp"];
	        this.endpoints = source["endpoints"];
	        this.skipVerify = source["skipVerify"];
	        this.caFile = source["caFile"];
	        this.builtin = source["builtin"];
	        this.inFile = source["inFile"];
	    }
	}
	export class RunActions {
	    resume: ops.Action;
	    rerun: ops.Action;
	    continuedBy: string;
	
	    static createFrom(source: any = {}) {
	        return new RunActions(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.resume = this.convertValues(source["resume"], ops.Action);
	        this.rerun = this.convertValues(source["rerun"], ops.Action);
	        this.continuedBy = source["continuedBy"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class RunReport {
	    format: string;
	    name: string;
	    content: string;
	
	    static createFrom(source: any = {}) {
	        return new RunReport(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.format = source["format"];
	        this.name = source["name"];
	        this.content = source["content"];
	    }
	}
	export class SourcesCheck {
	    sources: sources.Source[];
	    problems: sources.Problem[];
	
	    static createFrom(source: any = {}) {
	        return new SourcesCheck(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.sources = this.convertValues(source["sources"], sources.Source);
	        this.problems = this.convertValues(source["problems"], sources.Problem);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class TransferPlan {
	    images: number;
	    bytesTotal: number;
	    bytesDedup: number;
	    destination: string;
	    freeBytes: number;
	    warnings: string[];
	    bytesSaved: number;
	    incremental: string;
	    mapping?: mapping.Counts;
	
	    static createFrom(source: any = {}) {
	        return new TransferPlan(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.images = source["images"];
	        this.bytesTotal = source["bytesTotal"];
	        this.bytesDedup = source["bytesDedup"];
	        this.destination = source["destination"];
	        this.freeBytes = source["freeBytes"];
	        this.warnings = source["warnings"];
	        this.bytesSaved = source["bytesSaved"];
	        this.incremental = source["incremental"];
	        this.mapping = this.convertValues(source["mapping"], mapping.Counts);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class TransferRequest {
	    kind: string;
	    sourcesFile?: string;
	    sourcesText: string;
	    selectors: string[];
	    image: string;
	    path: string;
	    volumes?: string[];
	    existing: string[];
	    mapper: string;
	    mapperKind: string;
	    mapperRules: string;
	    subset?: string;
	    batchList?: string;
	    trackerFile?: string;
	    syncFile?: string;
	    annotations: {[key: string]: string};
	    platforms: string[];
	    indexFallback: boolean;
	    referrers: boolean;
	    check: boolean;
	    continue: boolean;
	    strict: boolean;
	    dryRun: boolean;
	    allowMissing?: boolean;
	    expand?: boolean;
	    outputs?: string[];
	    force: boolean;
	    compression: string;
	    manifestJson?: boolean;
	    padFinalBlock?: boolean;
	    blockSize: string;
	    bufferSize: string;
	    volumeSize: string;
	    hwm: number;
	    checkpoint: string;
	    existingFromCheckpoint?: string[];
	    sinceReceipt?: string;
	    sinceRun?: string;
	    includeUnconfirmed?: boolean;
	    reference?: string;
	    storeDir?: string;
	    run?: string;
	
	    static createFrom(source: any = {}) {
	        return new TransferRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.sourcesFile = source["sourcesFile"];
	        this.sourcesText = source["sourcesText"];
	        this.selectors = source["selectors"];
	        this.image = source["image"];
	        this.path = source["path"];
	        this.volumes = source["volumes"];
	        this.existing = source["existing"];
	        this.mapper = source["mapper"];
	        this.mapperKind = source["mapperKind"];
	        this.mapperRules = source["mapperRules"];
	        this.subset = source["subset"];
	        this.batchList = source["batchList"];
	        this.trackerFile = source["trackerFile"];
	        this.syncFile = source["syncFile"];
	        this.annotations = source["annotations"];
	        this.platforms = source["platforms"];
	        this.indexFallback = source["indexFallback"];
	        this.referrers = source["referrers"];
	        this.check = source["check"];
	        this.continue = source["continue"];
	        this.strict = source["strict"];
	        this.dryRun = source["dryRun"];
	        this.allowMissing = source["allowMissing"];
	        this.expand = source["expand"];
	        this.outputs = source["outputs"];
	        this.force = source["force"];
	        this.compression = source["compression"];
	        this.manifestJson = source["manifestJson"];
	        this.padFinalBlock = source["padFinalBlock"];
	        this.blockSize = source["blockSize"];
	        this.bufferSize = source["bufferSize"];
	        this.volumeSize = source["volumeSize"];
	        this.hwm = source["hwm"];
	        this.checkpoint = source["checkpoint"];
	        this.existingFromCheckpoint = source["existingFromCheckpoint"];
	        this.sinceReceipt = source["sinceReceipt"];
	        this.sinceRun = source["sinceRun"];
	        this.includeUnconfirmed = source["includeUnconfirmed"];
	        this.reference = source["reference"];
	        this.storeDir = source["storeDir"];
	        this.run = source["run"];
	    }
	}

}

export namespace mapping {
	
	export class Counts {
	    sources: number;
	    destinations: number;
	    problems: number;
	    errors: number;
	    warnings: number;
	    unmatched: number;
	
	    static createFrom(source: any = {}) {
	        return new Counts(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.sources = source["sources"];
	        this.destinations = source["destinations"];
	        this.problems = source["problems"];
	        this.errors = source["errors"];
	        this.warnings = source["warnings"];
	        this.unmatched = source["unmatched"];
	    }
	}
	export class Problem {
	    severity: string;
	    kind: string;
	    destination?: string;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new Problem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.severity = source["severity"];
	        this.kind = source["kind"];
	        this.destination = source["destination"];
	        this.message = source["message"];
	    }
	}
	export class Row {
	    source: string;
	    digest?: string;
	    destinations: string[];
	    problems?: Problem[];
	
	    static createFrom(source: any = {}) {
	        return new Row(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.source = source["source"];
	        this.digest = source["digest"];
	        this.destinations = source["destinations"];
	        this.problems = this.convertValues(source["problems"], Problem);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Result {
	    rows: Row[];
	    counts: Counts;
	
	    static createFrom(source: any = {}) {
	        return new Result(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.rows = this.convertValues(source["rows"], Row);
	        this.counts = this.convertValues(source["counts"], Counts);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class RuleProblem {
	    line: number;
	    column?: number;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new RuleProblem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.line = source["line"];
	        this.column = source["column"];
	        this.message = source["message"];
	    }
	}

}

export namespace mirror {
	
	export class Inspection {
	    ref: string;
	    ok: boolean;
	    digest?: string;
	    mediaType?: string;
	    platforms?: string[];
	    size: number;
	    error?: string;
	
	    static createFrom(source: any = {}) {
	        return new Inspection(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.ref = source["ref"];
	        this.ok = source["ok"];
	        this.digest = source["digest"];
	        this.mediaType = source["mediaType"];
	        this.platforms = source["platforms"];
	        this.size = source["size"];
	        this.error = source["error"];
	    }
	}

}

export namespace ops {
	
	export class Action {
	    available: boolean;
	    reason: string;
	
	    static createFrom(source: any = {}) {
	        return new Action(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.available = source["available"];
	        this.reason = source["reason"];
	    }
	}

}

export namespace practice {
	
	export class Image {
	    ref: string;
	    digest: string;
	    kind: string;
	
	    static createFrom(source: any = {}) {
	        return new Image(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.ref = source["ref"];
	        this.digest = source["digest"];
	        this.kind = source["kind"];
	    }
	}

}

export namespace progress {
	
	export class Event {
	    phase: string;
	    bytesDone: number;
	    bytesTotal: number;
	    itemsDone: number;
	    itemsTotal: number;
	    current?: string;
	    bufferFill?: number;
	    message?: string;
	
	    static createFrom(source: any = {}) {
	        return new Event(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.phase = source["phase"];
	        this.bytesDone = source["bytesDone"];
	        this.bytesTotal = source["bytesTotal"];
	        this.itemsDone = source["itemsDone"];
	        this.itemsTotal = source["itemsTotal"];
	        this.current = source["current"];
	        this.bufferFill = source["bufferFill"];
	        this.message = source["message"];
	    }
	}

}

export namespace registry {
	
	export class EndpointCheck {
	    endpoint: string;
	    answers: boolean;
	    tls: string;
	    credentials: string;
	    user: string;
	    ok: boolean;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new EndpointCheck(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.endpoint = source["endpoint"];
	        this.answers = source["answers"];
	        this.tls = source["tls"];
	        this.credentials = source["credentials"];
	        this.user = source["user"];
	        this.ok = source["ok"];
	        this.message = source["message"];
	    }
	}

}

export namespace sources {
	
	export class Problem {
	    line: number;
	    column?: number;
	    severity: string;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new Problem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.line = source["line"];
	        this.column = source["column"];
	        this.severity = source["severity"];
	        this.message = source["message"];
	    }
	}
	export class Source {
	    line: number;
	    ref: string;
	    labels?: {[key: string]: string};
	
	    static createFrom(source: any = {}) {
	        return new Source(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.line = source["line"];
	        this.ref = source["ref"];
	        this.labels = source["labels"];
	    }
	}

}

export namespace store {
	
	export class Document {
	    kind: string;
	    name: string;
	    version: number;
	    content: string;
	    meta: string;
	    // Go type: time
	    createdAt: any;
	
	    static createFrom(source: any = {}) {
	        return new Document(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.name = source["name"];
	        this.version = source["version"];
	        this.content = source["content"];
	        this.meta = source["meta"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Item {
	    source: string;
	    destination: string;
	    digest: string;
	    status: string;
	    error: string;
	    bytes: number;
	
	    static createFrom(source: any = {}) {
	        return new Item(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.source = source["source"];
	        this.destination = source["destination"];
	        this.digest = source["digest"];
	        this.status = source["status"];
	        this.error = source["error"];
	        this.bytes = source["bytes"];
	    }
	}
	export class LogLine {
	    // Go type: time
	    time: any;
	    level: string;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new LogLine(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.time = this.convertValues(source["time"], null);
	        this.level = source["level"];
	        this.message = source["message"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Medium {
	    label: string;
	    device: string;
	    syncId: string;
	    volume: number;
	    last: boolean;
	    bytes: number;
	    // Go type: time
	    createdAt: any;
	
	    static createFrom(source: any = {}) {
	        return new Medium(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.label = source["label"];
	        this.device = source["device"];
	        this.syncId = source["syncId"];
	        this.volume = source["volume"];
	        this.last = source["last"];
	        this.bytes = source["bytes"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Run {
	    id: string;
	    kind: string;
	    args: string;
	    options: string;
	    status: string;
	    error: string;
	    // Go type: time
	    startedAt: any;
	    // Go type: time
	    finishedAt: any;
	    bytesDone: number;
	    bytesTotal: number;
	    itemsDone: number;
	    itemsTotal: number;
	    failures: number;
	    resumedFrom: string;
	
	    static createFrom(source: any = {}) {
	        return new Run(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.args = source["args"];
	        this.options = source["options"];
	        this.status = source["status"];
	        this.error = source["error"];
	        this.startedAt = this.convertValues(source["startedAt"], null);
	        this.finishedAt = this.convertValues(source["finishedAt"], null);
	        this.bytesDone = source["bytesDone"];
	        this.bytesTotal = source["bytesTotal"];
	        this.itemsDone = source["itemsDone"];
	        this.itemsTotal = source["itemsTotal"];
	        this.failures = source["failures"];
	        this.resumedFrom = source["resumedFrom"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class RunDetail {
	    id: string;
	    kind: string;
	    args: string;
	    options: string;
	    status: string;
	    error: string;
	    // Go type: time
	    startedAt: any;
	    // Go type: time
	    finishedAt: any;
	    bytesDone: number;
	    bytesTotal: number;
	    itemsDone: number;
	    itemsTotal: number;
	    failures: number;
	    resumedFrom: string;
	    items: Item[];
	    media: Medium[];
	    blobsConfirmed: number;
	    bytesConfirmed: number;
	    lastOffset: number;
	
	    static createFrom(source: any = {}) {
	        return new RunDetail(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.args = source["args"];
	        this.options = source["options"];
	        this.status = source["status"];
	        this.error = source["error"];
	        this.startedAt = this.convertValues(source["startedAt"], null);
	        this.finishedAt = this.convertValues(source["finishedAt"], null);
	        this.bytesDone = source["bytesDone"];
	        this.bytesTotal = source["bytesTotal"];
	        this.itemsDone = source["itemsDone"];
	        this.itemsTotal = source["itemsTotal"];
	        this.failures = source["failures"];
	        this.resumedFrom = source["resumedFrom"];
	        this.items = this.convertValues(source["items"], Item);
	        this.media = this.convertValues(source["media"], Medium);
	        this.blobsConfirmed = source["blobsConfirmed"];
	        this.bytesConfirmed = source["bytesConfirmed"];
	        this.lastOffset = source["lastOffset"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class RunFilter {
	    kind: string;
	    status: string;
	    text: string;
	    // Go type: time
	    since: any;
	    // Go type: time
	    until: any;
	    limit: number;
	
	    static createFrom(source: any = {}) {
	        return new RunFilter(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.status = source["status"];
	        this.text = source["text"];
	        this.since = this.convertValues(source["since"], null);
	        this.until = this.convertValues(source["until"], null);
	        this.limit = source["limit"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class StoryRun {
	    id: string;
	    kind: string;
	    args: string;
	    options: string;
	    status: string;
	    error: string;
	    // Go type: time
	    startedAt: any;
	    // Go type: time
	    finishedAt: any;
	    bytesDone: number;
	    bytesTotal: number;
	    itemsDone: number;
	    itemsTotal: number;
	    failures: number;
	    resumedFrom: string;
	    source: string;
	    dest: string;
	    media: Medium[];
	
	    static createFrom(source: any = {}) {
	        return new StoryRun(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.args = source["args"];
	        this.options = source["options"];
	        this.status = source["status"];
	        this.error = source["error"];
	        this.startedAt = this.convertValues(source["startedAt"], null);
	        this.finishedAt = this.convertValues(source["finishedAt"], null);
	        this.bytesDone = source["bytesDone"];
	        this.bytesTotal = source["bytesTotal"];
	        this.itemsDone = source["itemsDone"];
	        this.itemsTotal = source["itemsTotal"];
	        this.failures = source["failures"];
	        this.resumedFrom = source["resumedFrom"];
	        this.source = source["source"];
	        this.dest = source["dest"];
	        this.media = this.convertValues(source["media"], Medium);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Story {
	    syncIds: string[];
	    runs: StoryRun[];
	
	    static createFrom(source: any = {}) {
	        return new Story(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.syncIds = source["syncIds"];
	        this.runs = this.convertValues(source["runs"], StoryRun);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace tape {
	
	export class Drive {
	    name: string;
	    path: string;
	    number: number;
	    mode: string;
	    rewinding: boolean;
	    scsiAddress: string;
	    vendor: string;
	    model: string;
	    revision: string;
	    serial: string;
	    defaultBlockSize: number;
	    defaultDensity: number;
	    defaultCompression: number;
	    options: number;
	    sysfsDir: string;
	
	    static createFrom(source: any = {}) {
	        return new Drive(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.path = source["path"];
	        this.number = source["number"];
	        this.mode = source["mode"];
	        this.rewinding = source["rewinding"];
	        this.scsiAddress = source["scsiAddress"];
	        this.vendor = source["vendor"];
	        this.model = source["model"];
	        this.revision = source["revision"];
	        this.serial = source["serial"];
	        this.defaultBlockSize = source["defaultBlockSize"];
	        this.defaultDensity = source["defaultDensity"];
	        this.defaultCompression = source["defaultCompression"];
	        this.options = source["options"];
	        this.sysfsDir = source["sysfsDir"];
	    }
	}
	export class Status {
	    online: boolean;
	    loaded: boolean;
	    writeProtected: boolean;
	    atBOT: boolean;
	    atEOD: boolean;
	    atFilemark: boolean;
	    pastEarlyWarning: boolean;
	    cleaningRequested: boolean;
	    blockSize: number;
	    density: number;
	    fileNumber: number;
	    blockNumber: number;
	    partition: number;
	    softErrors: number;
	    driveType: number;
	
	    static createFrom(source: any = {}) {
	        return new Status(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.online = source["online"];
	        this.loaded = source["loaded"];
	        this.writeProtected = source["writeProtected"];
	        this.atBOT = source["atBOT"];
	        this.atEOD = source["atEOD"];
	        this.atFilemark = source["atFilemark"];
	        this.pastEarlyWarning = source["pastEarlyWarning"];
	        this.cleaningRequested = source["cleaningRequested"];
	        this.blockSize = source["blockSize"];
	        this.density = source["density"];
	        this.fileNumber = source["fileNumber"];
	        this.blockNumber = source["blockNumber"];
	        this.partition = source["partition"];
	        this.softErrors = source["softErrors"];
	        this.driveType = source["driveType"];
	    }
	}
	export class DriveInfo {
	    drive: Drive;
	    state: string;
	    summary: string;
	    status?: Status;
	    error: string;
	
	    static createFrom(source: any = {}) {
	        return new DriveInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.drive = this.convertValues(source["drive"], Drive);
	        this.state = source["state"];
	        this.summary = source["summary"];
	        this.status = this.convertValues(source["status"], Status);
	        this.error = source["error"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Rate {
	    interval: number;
	    readMBps: number;
	    writeMBps: number;
	    busy: number;
	
	    static createFrom(source: any = {}) {
	        return new Rate(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.interval = source["interval"];
	        this.readMBps = source["readMBps"];
	        this.writeMBps = source["writeMBps"];
	        this.busy = source["busy"];
	    }
	}

}

